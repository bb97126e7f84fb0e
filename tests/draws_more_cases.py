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
