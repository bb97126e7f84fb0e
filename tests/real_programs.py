"""Objectives written the way numeric and ML code is written: parameters in
containers, data in globals, helpers passed as arguments, lambdas, objects,
random draws, early exits (see test_real_programs.py).  Each one combines
several of the constructs the language tests check one by one."""

import math

import numpy as np
from scipy.linalg import solve_triangular

_DATA = np.random.default_rng(7)
X_DATA = _DATA.normal(size=(30, 4))
Y_LABELS = (X_DATA @ np.array([1.0, -2.0, 0.5, 0.0]) > 0.0).astype(float)
HIDDEN_SCALE = 0.5  # a number read at each call


def relu(z):
    return np.maximum(z, 0.0)


softplus = lambda z: np.log1p(np.exp(z))  # noqa: E731  (a module-level lambda)


def mlp_loss(params, X, y, act=np.tanh, weight_decay=1e-3):
    """A list of (W, b) layers, an activation passed as a default, an L2
    penalty over the layers as a generator expression."""
    h = X
    for W, b in params[:-1]:
        h = act(h @ W + b)
    W_out, b_out = params[-1]
    out = h @ W_out + b_out
    penalty = sum(np.sum(W**2) for W, _ in params)
    return np.mean((out - y) ** 2) + weight_decay * penalty


def logistic_regression(w):
    """Data from globals, read when called."""
    z = X_DATA @ w
    return np.mean(softplus(z) - Y_LABELS * z)


def black_box_vi(params, rs, samples=8):
    """Variational inference by the reparameterisation trick: the draws come
    from the generator passed in, the gradient flows through mu and sigma."""
    mu, log_sigma = params["mu"], params["log_sigma"]
    eps = rs.randn(samples, mu.shape[0])
    z = mu + np.exp(log_sigma) * eps
    log_p = -0.5 * np.sum((z - 1.0) ** 2, axis=1)
    entropy = np.sum(log_sigma)
    return -(np.mean(log_p) + entropy)


class Affine:
    """A layer whose method computes its output."""

    def __init__(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x, nonlinearity=None):
        out = x @ self.W + self.b
        return out if nonlinearity is None else nonlinearity(out)


def model_loss(model, X, y):
    """An object passed as the differentiated argument: a tree of its fields."""
    return np.mean((model.forward(X, relu) - y) ** 2) * HIDDEN_SCALE


def rnn_loss(params, xs, targets):
    """A dict of parameters, a loop over the rows of an array, a nested
    helper closing over the parameters."""
    n_hidden = params["Whh"].shape[0]

    def step(h, x):
        return np.tanh(x @ params["Wxh"] + h @ params["Whh"] + params["bh"])

    h = np.zeros(n_hidden)
    total = 0.0
    for t, x in enumerate(xs):
        h = step(h, x)
        total = total + np.sum((h @ params["Why"] - targets[t]) ** 2)
    return total / len(xs)


def newton_sqrt_with_exit(a, tol=1e-12):
    """An early exit from a loop: return as soon as the iterate settles."""
    x = a
    for _ in range(50):
        x_next = 0.5 * (x + a / x)
        if abs(x_next - x) < tol:
            return x_next
        x = x_next
    return x


def loss_with_aux(params, X, y):
    """(loss, aux): the aux holds predictions and a count, in a dict."""
    W, b = params
    pred = X @ W + b
    loss = np.mean((pred - y) ** 2)
    return loss, {"pred": pred, "n": X.shape[0], "scale": math.sqrt(2.0)}


def squared_distances(X):
    sq = np.sum(X * X, axis=1)
    return sq.reshape(-1, 1) + sq.reshape(1, -1) - 2.0 * (X @ X.T)


def gp_nlml(log_lengthscale, log_variance, log_noise, X, y):
    """A Gaussian process' negative log marginal likelihood (RBF kernel), as
    in benchmarks/bench_gp.py: sizes read from X, a Cholesky factor."""
    n = X.shape[0]
    K = np.exp(log_variance) * np.exp(-0.5 * squared_distances(X) / np.exp(2.0 * log_lengthscale))
    K = K + np.exp(log_noise) * np.eye(n)
    L = np.linalg.cholesky(K)
    alpha = solve_triangular(L.T, solve_triangular(L, y, lower=True))
    log_det = 2.0 * np.sum(np.log(np.sum(L * np.eye(n), axis=1)))  # the diagonal of L
    return 0.5 * (y @ alpha) + 0.5 * log_det + 0.5 * n * math.log(2.0 * math.pi)
