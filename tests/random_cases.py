"""Functions making random draws, for ``test_random``; symdiff reads source
code, so they live in a module."""

import numpy as np

RS = np.random.RandomState(0)
RNG = np.random.default_rng(0)


def noisy(w, rs):
    noise = rs.randn(w.shape[0])
    return np.sum((w + noise) ** 2)


def dropout(w, rs):
    mask = rs.binomial(1, 0.5, size=(w.shape[0],))
    noise = rs.normal(0.0, 0.1, (w.shape[0],))
    return np.sum(np.tanh(w * mask + noise))


def vae(mu, log_sigma, rng):
    eps = rng.standard_normal((mu.shape[0],))
    z = mu + np.exp(log_sigma) * eps
    return np.sum(z**2) - np.sum(log_sigma)


def uniform(w, rng):
    u = rng.uniform(-1.0, 1.0, size=(2, w.shape[0]))
    r = rng.random((w.shape[0],))
    return np.sum(np.sum(u, axis=0) * w**2) + np.sum(r * w)


def global_generator(w):
    e = RS.rand(w.shape[0])
    return np.sum(e * w**2)


def global_new_generator(w):
    k = RNG.integers(0, 5, size=(w.shape[0],))
    return np.sum(k * w**2)


def numpy_module(w):
    e = np.random.normal(size=(w.shape[0],))
    return np.sum(e * np.sin(w))


def closure(rng):
    def inner(w):
        return np.sum(rng.standard_normal((w.shape[0],)) * w**2)

    return inner


def scalar_draw(x, rs):
    return x * rs.normal() + x**2


def active_parameters(mu, rs):
    return np.sum(rs.normal(mu, 1.0, size=(2,)))


def draw_in_loop(w, rs):
    total = 0.0
    for i in range(3):
        total = total + rs.randn() * w[i]
    return total


def no_size_keyword(w, rs):
    return np.sum(rs.normal(0.0, 1.0, size=w.shape[0], dtype=float) * w)


def in_a_dict(w, config):
    return np.sum(config["rng"].normal(0.0, config["scale"], size=(w.shape[0],)) * w**2)


def batches(W, rs):
    order = rs.permutation(W.shape[0])
    picked = rs.choice(W.shape[0], size=(2,))
    return np.sum(W[order[0]] ** 2) + np.sum(W[picked[1]] ** 3)


def shaped_by_parameters(w, centres, rs):
    return np.sum(rs.normal(centres, 0.5) * w)


def legacy_names(w, rs):
    k = rs.randint(3, size=(w.shape[0],))
    u = rs.random_sample((w.shape[0],))
    return np.sum(k * u * w**2)


def dropout_mlp(params, X, rs):
    h = X
    for W, b in params:
        h = np.tanh(h @ W + b)
        h = h * rs.binomial(1, 0.8, size=(h.shape[0], h.shape[1])) / 0.8
    return np.mean(h**2)


def whole_shapes(w, X, rs):
    h = np.tanh(X @ w)
    mask = rs.binomial(1, 0.5, size=h.shape)
    e = rs.randn(*X.shape)
    return np.sum(h * mask) + np.sum(e * X) * np.sum(w)
