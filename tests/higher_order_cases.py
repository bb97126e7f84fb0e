"""Functions whose second (and third) derivatives the higher-order tests take."""

import math

import numpy as np
import scipy.special


def exp_sin(x):
    return math.exp(2.0 * x) * math.sin(x)


def poly_trig(x, y):
    return x**3 * y + x * math.sin(y) + math.log(1.0 + x * x)


def tanh_chain(x):
    return math.tanh(math.tanh(x) * 3.0) / (1.0 + x * x)


def loop_scalar(x, n):
    s = 0.0
    y = x
    for i in range(n):
        y = math.sin(y) * x + 0.1 * i
        s = s + y * y
    return s


def scalar_and_array(x, W):
    return np.sum(np.tanh(W * x) ** 2) * x


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_loop(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def mlp_loss(W, b, X, y):
    h = np.tanh(X @ W + b)
    return np.mean((np.sum(h, axis=1) - y) ** 2)


def softmax_regression(W, X, labels):
    z = X @ W
    logp = z - scipy.special.logsumexp(z, axis=1, keepdims=True)
    return -np.mean(logp[np.arange(X.shape[0]), labels])


def layers_loss(params, X, y):
    (W1, b1), (W2, b2) = params
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 + b2 - y) ** 2)


def example_loss(params, x, y):
    W1, b1, w2 = params
    h = np.tanh(W1 @ x + b1)
    return (h @ w2 - y) ** 2


def vector_field(x, A):
    return np.sin(A @ x) * np.sum(x**2)


def matrix_field(M, v):
    return np.tanh(M @ v)[:, None] * M


def two_outputs_sum(x):
    return np.sum(x**3)


def array_out(x):
    return x * x


def exp_over(x, z):
    return math.exp(x * z) / x


def relu_squared(x):
    return max(x, 0.0) ** 2


def max_of_rows(A, s):
    return np.sum(np.sin(np.max(A, axis=1)))


def while_in_for(x, a, n: int):
    s = a
    for i in range(len(x)):
        m1 = 0
        while m1 < 2 and i % 2 == 0:
            m1 += 1
            s *= 0.5 + 0.25 * math.tanh(s)
    return s


def two_copies_written_in_a_loop(x):
    out = np.zeros(6)
    for i in range(6):
        out[5 - i] += x[i - 1]
    x_bar = out.copy()
    w_bar = out.copy()
    for i in range(5, -1, -1):
        t9 = w_bar[i - 1]
        w_bar[i - 1] = 0.0
        x_bar[i] += t9 / (1.0 + x[i - 1] ** 2)
    return np.sum(x_bar * np.arange(1.0, 7.0))


def scattered_twice(x):
    out = np.zeros(len(x))
    w = np.zeros(len(x))
    for i in range(x.shape[0]):
        out[len(x) - 1 - i] += x[i - 1] - 0.25
        w[i - 1] = x[i] / (1.0 + (x[i - 1]) ** 2)
    return np.dot(out, x) + np.sum(w * out)


def gathered_cubes(x):
    return np.sum(x[np.array([0, 2, 2])] ** 3) * x[1]


def while_with_branch(x, a, n: int):
    s = 0.0
    t = 0.0
    p = 0
    while p < len(x) and s > math.sin(x[0]):
        i = p
        p += 1
        s = math.sin(x[-1 - i] + x[0])
        if math.atan(x[-1 - i]) > math.cos(s):
            t, s = s, math.cos(math.sin(x[0]) * math.tanh(x[i]))
        s += -x[i // 2]
    return s + t
