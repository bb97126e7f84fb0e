"""Global objects whose fields change kind between calls (``test_global_objects``)."""

import numpy as np


class Config:
    pass


class Scaled:
    factor = 2.0  # a class attribute: the instance's __dict__ is empty

    def __call__(self, x):
        return self.factor * x


CONFIG = Config()
CONFIG.w = 2.0
CONFIG.act = np.tanh
SCALED = Scaled()
LAYERS = [Config(), Config()]


def field(x):
    return np.sum(CONFIG.w * x**2)


def field_through_a_local(x):
    config = CONFIG
    if config.w is None:
        return np.sum(x)
    return np.sum(config.w * x)


def function_field(x):
    return np.sum(CONFIG.act(x))


def callable_object(x):
    return np.sum(SCALED(x) ** 2)


def objects_in_a_list(x):
    return np.sum(LAYERS[0].w * x + LAYERS[1].w * x**2)
