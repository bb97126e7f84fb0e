"""Functions that draw random numbers through helpers (``test_draws_more``)."""

import numpy as np
import numpy.random as npr

SEED = npr.RandomState(0)
CONFIG = {"rs": npr.RandomState(0)}


def noise_from(w, count, width, rs):
    """A helper drawing with int shape arguments (the GAN's generate_from_noise)."""
    return np.tanh(w * rs.rand(count, width))


def through_a_helper(w, count, width, rs):
    return np.sum(noise_from(w, count, width, rs) ** 2)


def global_through_a_helper(w, count):
    return np.sum(noise_from(w, count, 3, SEED) ** 2)


def container_through_a_helper(w):
    return np.sum(noise_from(w, 2, 3, CONFIG["rs"]))


def drawn_by_default(w, rs=npr.RandomState(0)):  # noqa: B008 (as users write it)
    return w * rs.randn(3)


def default_generator(w):
    return np.sum(drawn_by_default(w) ** 2)


def closure_through_a_helper(rs):
    def loss(w):
        return np.sum(noise_from(w, 2, 3, rs) * w)

    return loss


def monte_carlo(w, count, rs):
    """A Monte-Carlo estimate: one draw per iteration of a real loop."""
    total = 0.0
    for _s in range(count):
        eps = rs.randn(3)
        total = total + np.sum(np.sin(w * eps))
    return total / count


def masked_steps(w, steps, rs):
    """A dropout mask per time step (an int draw), every other step."""
    h = np.zeros(3)
    for _t in range(1, steps, 2):
        mask = rs.binomial(1, 0.5, size=(3,))
        h = np.tanh(w * h + mask)
    return np.sum(h)


def shrinking_noise(w, steps, rs):
    """A draw whose parameter is carried by the loop (not differentiated)."""
    sigma, total = 1.0, 0.0
    for _t in range(steps):
        sigma = sigma * 0.5
        total = total + np.sum(w**2 * rs.normal(0.0, sigma, size=(3,)))
    return total


def dropout_layers(w, params, rs):
    """A dropout mask per layer of an unrolled loop over the parameters."""
    h = w
    for W, b in params:
        h = np.tanh(W @ h + b) * rs.binomial(1, 0.8, size=b.shape)
    return np.sum(h)


def sized_by_a_carried_value(w, rs):
    h = w
    for _t in range(3):
        h = np.tanh(h) * rs.rand(*h.shape)  # ERR: sizes read inside the loop
    return np.sum(h)


def drawn_in_a_branch(w, rs):
    if np.sum(w) > 0.0:
        return np.sum(w * rs.randn(3))  # ERR: branch
    return np.sum(w)


def drawn_in_a_while_loop(w, rs):
    total, k = 0.0, 0
    while k < 3:
        total = total + np.sum(w * rs.randn(3))  # ERR: while
        k = k + 1
    return total


def drawn_until_break(w, rs):
    total = 0.0
    for _t in range(5):
        total = total + np.sum(w * rs.randn(3))  # ERR: break
        if total > 1.0:
            break
    return total
