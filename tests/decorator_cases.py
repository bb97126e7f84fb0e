"""Decorated functions (``test_decorators``): what is called is differentiated."""

import functools

import numpy as np


def scaled(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return 2.0 * fn(*args, **kwargs)

    return wrapper


def passthrough(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


def shifted_first(fn):
    @functools.wraps(fn)
    def wrapper(x, *rest):
        return fn(x + 1.0, *rest)

    return wrapper


class Opaque:
    """A wrapper symdiff cannot read: a callable object recording __wrapped__."""

    def __init__(self, fn):
        self.__wrapped__ = fn

    def __call__(self, *args):
        return 3.0 * self.__wrapped__(*args)


@scaled
def scaled_loss(x):
    return np.sum(x**2)


@passthrough
def plain_loss(x, y):
    return np.sum(np.sin(x) * y)


@shifted_first
def shifted_loss(x, y):
    return np.sum(x**3 * y)


@scaled
def scaled_helper(x):
    return np.sum(np.tanh(x))


def calls_a_scaled_helper(x):
    return scaled_helper(x) + np.sum(x)


@functools.lru_cache
def cached(x):
    return x * np.sin(x)


opaque_loss = Opaque(scaled_loss.__wrapped__)


def calls_an_opaque_helper(x):
    return opaque_loss(x)
