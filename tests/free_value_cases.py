"""Functions reading free values (module globals, closures, attributes) for
``test_free_values``; symdiff reads source code, so they live in a module.
The tests rebind these globals (``monkeypatch.setattr``) to check that each
call reads them, as Python does."""

import math

import numpy as np

from . import free_value_config as config
from .free_value_helpers import also_scaled, shifted

X_train = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]])
y_train = np.array([0.5, -0.25])
C = 2.0
N = 3
AXIS = 0
K = 1
USE_BIAS = True
LAYERS = [(np.array([[0.5, -0.2], [0.1, 0.3], [0.7, 0.2]]), np.array([0.1, -0.1]))]
WEIGHTS = {"a": np.array([1.0, -2.0, 0.5]), "b": 1.5}
MASK = np.array([1.0, 0.0, 1.0])


class SlabIndices:
    AREA = 2
    DEPTH = 0.75


class Inner:
    gain = 1.5


class Model:
    def __init__(self):
        self.W = np.array([0.2, 0.4, -0.6])
        self.bias = 0.1
        self.inner = Inner()

    def forward(self, x):
        return np.tanh(self.W * x) + self.bias


model = Model()


def least_squares(w):
    return np.mean((X_train @ w - y_train) ** 2)


def scaled(x):
    return C * np.sum(x**2)


def masked(x):
    return np.sum((x * MASK) ** 2)


def network(x):
    ((W, b),) = LAYERS
    return np.sum(np.tanh(x @ W + b))


def weighted(x):
    return np.sum(WEIGHTS["a"] * x) * WEIGHTS["b"]


def from_config(x):
    return config.lr * np.sum(config.scale * x**2)


def class_attribute(x):
    return SlabIndices.DEPTH * np.sum(x**2) * SlabIndices.AREA


def object_attributes(x):
    return np.sum(model.W * x**3) + model.bias


def method_of_a_global(x):
    return np.sum(model.forward(x) ** 2)


def chained_attribute(x):
    return model.inner.gain * np.sum(x**2)


SCALE = 0.5


def two_scales(x):
    return np.sum(also_scaled(x) * SCALE)


def other_module(x):
    return np.sum(shifted(x) ** 2)


def reduce_axis(x):
    return np.sum(np.sum(x**2, axis=AXIS) ** 2)


def pick(params):
    return np.sum(params[K] ** 2)


def flagged(x):
    if USE_BIAS:
        return np.sum(x**2) + 1.0
    return np.sum(x**3)


def loop_bound(x):
    total = 0.0
    for i in range(N):
        total = total + x[i] ** 2
    return total


def library_constants(x):
    return math.pi * x + np.sin(x / math.e) * (x < np.inf)


def scalar_global(x, z):
    return C * x * z


def closure(value, scale):
    def inner(x):
        return scale * np.sum((x - value) ** 2)

    return inner


class Flaky:
    """A property whose value changes type at each read."""

    reads = 0

    @property
    def value(self):
        Flaky.reads += 1
        return float(Flaky.reads) if Flaky.reads % 2 else np.full(3, float(Flaky.reads))


flaky = Flaky()


def uses_flaky(x):
    return np.sum(flaky.value * x)


def relu(z):
    return np.maximum(z, 0.0)


def square(z):
    return z * z


activation = relu


def activated(x):
    return np.sum(activation(x))


SETTINGS = {"w": 2.0, "mode": "train"}


def with_settings(x):
    return SETTINGS["w"] * x


NLAYERS = 2


def layers_by_index(x, params):
    for i in range(NLAYERS):
        x = np.tanh(x * params[i])
    return np.sum(x)


def mixed_precision(w):
    return np.sum((X_train @ w) ** 2)


SHIFT = 1.0


def shift_or_object(x):
    return x + SHIFT
