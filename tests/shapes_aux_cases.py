"""Functions for tests/test_shapes_aux.py: shapes as values, slice objects,
``return`` inside loops and ``has_aux`` (issue 11).  Lines marked
``# ERR: name`` are where the error of that name must point."""

import math

import numpy as np

# -- shapes as values ------------------------------------------------------------


def unpack_shape(X):
    n, d = X.shape
    return np.sum(X**2) / (n * d)


def zeros_of_shape(X):
    Z = np.zeros(X.shape)
    Z[0] = X[0] * 2.0
    return np.sum((Z + X) ** 2)


def np_shape_and_ndim(X):
    n, d = np.shape(X)
    return np.sum(np.sin(X)) * n / d + X.ndim + np.ndim(X)


def flatten_rows(X):  # X of rank 3
    k = np.prod(X.shape[1:])
    Y = X.reshape(X.shape[0], -1)
    return np.sum(Y**2) / k + math.prod(X.shape)


def last_axis(X):
    return np.sum(X * X.shape[-1]) + len(X.shape) * np.sum(X)


def ones_with_new_axis(X):
    ones = np.ones(X.shape + (3,))
    return np.sum(ones * X.reshape(X.shape + (1,)) ** 2)


def zeros_of_pair(X):
    n, d = X.shape
    Z = np.zeros((n, d))
    return np.sum((Z + np.tanh(X)) ** 2)


def reshape_starred(X):  # X of rank 3
    Y = X.reshape(-1, *X.shape[2:])
    return np.sum(Y[0] * Y[1])


def like_and_full(X):
    total = np.zeros_like(X) + np.ones_like(X) * X + np.full(X.shape, 2.0) * X
    return np.sum(total**2)


def size_arithmetic(X):
    n, d = X.shape
    half = (n * d) // 2 + n % 2
    return np.sum(X) * half - d


def loop_over_rows(X):
    n, d = X.shape
    s = 0.0
    for i in range(n):
        s = s + np.sum(X[i] ** 2) / d
    return s


def prod_of_array(x):  # np.prod of an array is still the primitive
    return np.sum(np.prod(x, axis=0)) + np.prod(np.shape(x))


# -- slice objects ---------------------------------------------------------------


def window(start, width):
    return slice(start, start + width)


def slice_constant(x):
    s = slice(1, 3)
    return np.sum(x[s] ** 2)


def slice_at_run_time(x, k):
    s = slice(k, len(x))
    return np.sum(x[s] * x[s])


def slice_open_start(X):
    s = slice(None, 2)
    return np.sum(X[s, 0] ** 2) + np.sum(X[:, s])


def slice_with_step(x):
    return np.sum(x[slice(0, len(x), 2)] ** 3)


def slice_from_helper(x):
    return np.sum(np.sin(x[window(1, 2)]))


def slice_in_tuple(X):
    index = (slice(1, 3), 0)
    return np.sum(X[index] ** 2)


def slice_store(x):
    s = slice(1, 3)
    out = np.zeros(5)
    out[s] = x[s] * 3.0
    return np.sum(out * x)


def slice_stop_only(x):
    return np.sum(x[slice(2)] ** 2)


# -- return inside a loop ----------------------------------------------------------


def first_crossing(x, tol):
    s = 0.0
    for i in range(8):
        s = s + np.sin(x * (i + 1))
        if s > tol:
            return s * x
    return s + x


def first_crossing_flat(x, tol):  # the same, with break
    s = 0.0
    done = False
    for i in range(8):
        s = s + np.sin(x * (i + 1))
        if s > tol:
            done = True
            break
    if done:
        return s * x
    return s + x


def fixed_point(x, tol):
    y = x.copy()
    for _ in range(6):
        y = 0.5 * y + np.cos(y)
        err = np.sum((y - x) ** 2)
        if err < tol:
            return np.sum(y**2)
    return np.sum(y)


def while_return(x, tol):
    k = 0
    s = x
    while k < 10:
        s = s * 1.5 - 0.1
        if s > tol:
            return s * s
        k = k + 1
    return s


def nested_return(X, tol):
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s = s + X[i, j] ** 2
            if s > tol:
                return s * X[i, j]
        s = s * 0.5
    return -s


def solver(x, tol):
    y = x
    for _ in range(5):
        y = y - 0.3 * np.tanh(y)
        if np.max(np.abs(y)) < tol:
            return y
    return y * 2.0


def uses_solver(x, tol):
    y = solver(x, tol)
    return np.sum(y**2)


def returns_pair_in_loop(x, tol):
    s = 0.0
    for i in range(5):
        s = s + x * i
        if s > tol:
            return s * s, i
    return s, -1


def returns_mixed_structures(x):
    for _ in range(3):
        if x > 1.0:
            return x, x
        if x < -1.0:
            return x  # ERR: mixed_returns
        x = x * 2.0
    return x, x


# -- has_aux -----------------------------------------------------------------------


def mlp_with_aux(params, X, y):
    (W1, b1), (W2, b2) = params
    h = np.tanh(X @ W1 + b1)
    pred = h @ W2 + b2
    loss = np.mean((pred - y) ** 2)
    return loss, (pred, X.shape[0], params, (loss, h))


def mlp_loss(params, X, y):
    return mlp_with_aux(params, X, y)[0]


def dict_with_aux(params, x):
    z = params["w"] * x + params["b"]
    return np.sum(z**2), (params, 2.0, z)


def scalar_with_aux(x, y):
    z = x * y
    return z * z, z


def aux_with_early_return(x, tol):
    loss, steps = returns_pair_in_loop(x, tol)
    return loss, steps


def not_a_pair(x):
    return x * x, x, x  # ERR: not_a_pair


def pair_without_aux(x):
    return x * x, x  # ERR: pair_without_aux


def aux_in_literals(x):
    y = np.sin(x)
    return np.sum(y**2), {"y": y, "pair": [y[0], x.shape], "n": x.shape[0]}


def return_in_row_loop(X, tol):
    s = 0.0
    for row in X:
        s = s + np.sum(row**2)
        if s > tol:
            return s * 2.0
    return s


def return_in_unrolled_loop(params, x):
    for w in params:
        x = np.tanh(w * x)
        if np.sum(x) > 0.5:
            return np.sum(x**3)
    return np.sum(x**2)


def unrolled_return_in_real_loop(params, x, n):
    s = 0.0
    for i in range(n):
        for w in params:
            s = s + np.sum(np.sin(w * x)) * (i + 1)
            if s > 1.0:
                return s * s
    return s


def unpack_a_kept_tuple(x):
    t = (x * 2.0, x * 3.0)
    a, b = t
    return t[0] * a + t[1] * b


TARGET = np.array([0.5, -0.5])


def aux_with_a_global(params, x):
    z = params["w"] * x - TARGET
    return np.sum(z**2), {"z": z, "target": TARGET}


def helper_with_a_loop_that_returns(x, tol):
    y = x
    for _ in range(6):
        y = y * 1.3
        if y > tol:
            return y * y
    return y


def early_return_in_an_inlined_helper(x, tol):
    return helper_with_a_loop_that_returns(x, tol) + helper_with_a_loop_that_returns(x * 0.5, tol)


def early_return_in_a_nested_def(x, tol):
    def run(start):
        y = start
        for _ in range(6):
            y = y * 1.3 + x
            if y > tol:
                return y * y
        return y

    return run(x) + run(2.0 * x)
