"""Array functions for test_arrays.py: one per array primitive, plus models."""

import math

import numpy as np
from scipy.special import erf, erfc


# -- elementwise, with broadcasting -------------------------------------------
def a_sin(x):
    return np.sum(np.sin(x))


def a_exp_log(x):
    return np.sum(np.exp(x) * np.log(x * x + 1.0))


def a_sqrt_tanh(x):
    return np.sum(np.sqrt(x * x + 1.0) * np.tanh(x))


def a_abs_sign(x):
    return np.sum(np.abs(x) + np.sign(x) * x**3)


def a_erf(x):
    return np.sum(np.sin(x) * math.erf(0.3) + erf(x) * x - erfc(x.reshape((2, 2))).sum())


def a_power(x, y):
    return np.sum((x * x + 1.0) ** y)


def a_div(x, y):
    return np.sum(x / (y * y + 1.0))


def a_arctan2_hypot(x, y):
    return np.sum(np.arctan2(x, y) + np.hypot(x, y))


def a_maximum(x, y):
    return np.sum(np.maximum(x, y) + np.minimum(x, 0.3))


def a_where(x, y):
    return np.sum(np.where(x > y, x * y, x - y))


def a_clip(x):
    return np.sum(np.clip(x, -0.5, 0.5) * x)


def a_bias(X, b):
    return np.sum((X + b) ** 2)


def a_column(X, c):
    return np.sum(np.tanh(X * c))


def a_scalar_times(s, x):
    return np.sum(s * x + x / s)


def a_keepdims(X):
    m = np.max(X, axis=1, keepdims=True)
    return np.sum(np.exp(X - m))


# -- linear algebra and structure ---------------------------------------------
def a_dot_vv(x, y):
    return np.dot(x, y)


def a_dot_mv(A, x):
    return np.sum(np.dot(A, x) ** 2)


def a_dot_vm(x, A):
    return np.sum(np.sin(x @ A))


def a_matmul(A, B):
    return np.sum((A @ B) ** 2)


def a_outer(x, y):
    return np.sum(np.outer(x, y) ** 3)


def a_transpose(A):
    return np.sum(A.T @ A) + np.sum(np.transpose(A)[0])


def a_reshape(A):
    return np.sum(np.sin(A.reshape(A.size)) * A.ravel())


def a_reshape_2d(x):
    return np.sum(x.reshape((2, 3)) @ np.ones(3))


# -- reductions --------------------------------------------------------------
def a_sum_axis(A):
    return np.sum(np.sum(A, axis=0) ** 2) + np.sum(A.sum(axis=1) ** 3)


def a_sum_keepdims(A):
    return np.sum(A / np.sum(A * A, axis=0, keepdims=True))


def a_mean(A):
    return A.mean() + np.mean(np.mean(A, axis=1) ** 2)


def a_max(A):
    return np.max(A) + np.sum(np.max(A, axis=0)) + np.sum(A.max(axis=1) ** 2)


def a_min(A):
    return np.min(A) * np.sum(np.min(A, axis=1))


def a_prod(x):
    return np.prod(x) + np.sum(np.prod(x.reshape((2, 2)), axis=1))


# -- indexing and shapes ------------------------------------------------------
def a_index(x):
    return x[0] * x[-1] + np.sum(x[1:] * x[:-1])


def a_index_2d(A):
    j = 1
    return np.sum(A[:, j] ** 2) + A[1, 2] * A[0, 0] + np.sum(A[1:, ::2])


def a_shapes(A):
    n, m = A.shape[0], A.shape[1]
    return np.sum(A) / (n * m) + len(A) * A.size * np.sum(A**2)


def a_constants(A):
    return np.sum(A * np.ones_like(A) + np.eye(A.shape[0]) @ A + np.zeros((A.shape[0], 1)))


def a_stack(s, t):
    v = np.array([s * t, s + t, 2.0])
    return np.sum(v**2)


def a_mixed(w, lam):
    return lam * np.sum(w**2) + np.mean(w) * lam


def a_branch(x):
    if np.sum(x) > 0.0:
        y = x * 2.0
    else:
        y = -x
    return np.sum(y * y)


# -- models -------------------------------------------------------------------
def linear_model(X, weights):
    return np.dot(X, weights)


def mse_loss(weights, X, y):
    predictions = linear_model(X, weights)
    return np.mean((predictions - y) ** 2)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def logistic_loss(w, b, X, y, lam):
    p = sigmoid(X @ w + b)
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) + lam * np.sum(w * w)


def softmax_cross_entropy(W, b, X, Y):
    logits = X @ W + b
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * log_probs, axis=1))


def mlp_loss(W1, b1, W2, b2, W3, b3, X, y):
    h1 = np.maximum(X @ W1 + b1, 0.0)
    h2 = np.tanh(h1 @ W2 + b2)
    out = sigmoid(h2 @ W3 + b3)
    return np.mean((out[:, 0] - y) ** 2)


# -- bad input ------------------------------------------------------------------
def bad_shapes(A, x):
    return np.sum(A @ x)  # ERR: bad_shapes


def bad_eig(A):
    return np.sum(np.linalg.eig(A)[0])  # ERR: bad_eig


def bad_inplace(w):
    w += 1.0  # ERR: bad_inplace
    return np.sum(w)


def bad_array_output(w):
    return w * 2.0  # ERR: bad_array_output


def bad_rank(A):
    return np.sum(A @ 2.0)  # ERR: bad_rank (np.dot(A, 2.0) is A * 2.0, as in NumPy)


# -- axes of size 1 made inside the function (constants, slices, shapes) -------
def a_const_column(x):
    o = np.ones((x.shape[0], 1))
    return np.sum(o * x) + np.sum(np.array([2.0]) * x) + np.sum(np.eye(1) * x)


def a_slice_column(X, w):
    c = X[:, 0:1]
    return np.sum(c * w) + np.sum(X[0:1] * X)


def a_reshape_runtime(x, n):
    A = x.reshape((n, -1))
    return np.sum(A * x[:2])


def bad_forward_output(w):
    return w * 2.0  # ERR: bad_forward_output


def bad_index(x):
    return x[5] * 2.0  # ERR: bad_index


def bad_max_axis(T):
    return np.sum(np.max(T, axis=3))  # ERR: bad_max_axis


def a_max_ties(x):
    return np.max(x) + np.sum(np.max(x.reshape((2, 2)), axis=1))


def a_cumsum(x):
    return np.sum(np.cumsum(x) * np.sin(x))


def a_cumsum_flat(X):
    return np.sum(np.cumsum(X) ** 2)


def a_cumsum_axis(X):
    return np.sum(np.cumsum(X, axis=0) * np.cumsum(X, 1) + X.cumsum(axis=-1) ** 2)


def a_flip(X):
    return np.sum(np.flip(X, 1) * X + np.flip(X) ** 2 + np.flip(X, axis=0)[0])
