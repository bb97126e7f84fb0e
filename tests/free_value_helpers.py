"""A helper in another module: it reads *this* module's globals."""

import numpy as np

OFFSET = np.array([0.25, -0.5, 1.0])


def shifted(x):
    return x + OFFSET


def also_scaled(x):
    return SCALE * x


SCALE = 3.0
