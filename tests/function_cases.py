"""Functions as values, objects and static arguments (see test_functions.py).

Each function here has a flat rewrite (``flat_...``) where one is cheap, so
the tests compare the gradients of both as well as finite differences.
"""

import functools
from collections import namedtuple
from dataclasses import dataclass

import numba
import numpy as np

relu = lambda z: np.maximum(z, 0.0)  # noqa: E731
square_plus = lambda x, y=1.0: x * x + y  # noqa: E731
pair = (lambda x: x * 2.0, lambda x: x * 3.0)  # two lambdas on one line


def apply(f, x):
    return f(x)


def make_scaler(w):
    return lambda t: t * w


def twice(f, x, k=2.0):
    return f(f(x)) * k


@numba.njit
def njit_helper(x, y):
    return x * np.sin(y) + y


def scales(factor):
    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return fn(*args)

        return wrapper

    return decorator


@scales(2.0)
def wrapped_helper(x):
    return x * x * 3.0


# -- nested def and lambda ---------------------------------------------------------


def late_binding(x, w):
    g = lambda t: t * w  # noqa: E731
    w = w * 3.0  # g sees this w: it is read when g is called
    return g(x) + w


def flat_late_binding(x, w):
    return x * (w * 3.0) + w * 3.0


def nested_def_defaults(x, w):
    def h(t, k=2.0, *, shift=0.5):
        return t**k + w + shift

    return h(x) + h(x, k=3.0) + h(t=w, shift=x)


def flat_nested_def_defaults(x, w):
    return (x**2.0 + w + 0.5) + (x**3.0 + w + 0.5) + (w**2.0 + w + x)


def lambda_to_helper(x, w):
    return apply(lambda v: v * w, x) + twice(np.sin, x) + twice(lambda v: v * w, x, k=w)


def flat_lambda_to_helper(x, w):
    return x * w + np.sin(np.sin(x)) * 2.0 + x * w * w * w


def lambda_from_helper(x, w):
    scale = make_scaler(w * 2.0)
    return scale(x) + make_scaler(x)(w)


def flat_lambda_from_helper(x, w):
    return x * w * 2.0 + w * x


def functions_in_tuple(x):
    acts = (np.tanh, lambda z: z * z, relu)
    first, second, third = acts
    return first(x) + second(x) + third(x) + acts[1](x)


def flat_functions_in_tuple(x):
    return np.tanh(x) + x * x + np.maximum(x, 0.0) + x * x


def closure_over_arrays(params, X):
    (W1, b1), (W2, b2) = params
    layer = lambda h, W, b: np.tanh(h @ W + b)  # noqa: E731

    def out(h):
        return h @ W2 + b2

    return np.sum(out(layer(X, W1, b1)) ** 2)


def flat_closure_over_arrays(params, X):
    (W1, b1), (W2, b2) = params
    return np.sum((np.tanh(X @ W1 + b1) @ W2 + b2) ** 2)


def nested_in_helper(x):
    return inner_def_helper(x, 3.0)


def inner_def_helper(x, k):
    def poly(t):
        return t**k + k

    return poly(x) * poly(2.0 * x)


def flat_nested_in_helper(x):
    return (x**3.0 + 3.0) * ((2.0 * x) ** 3.0 + 3.0)


def nested_closure_in_branch(x, w):
    g = lambda t: t * w  # noqa: E731
    if x > 0.0:
        w = w * 2.0
        return g(x)
    return g(x) + 1.0


def calls_module_lambdas(x, y):
    return relu(x) * square_plus(y) + square_plus(x, y=y) + pair[1](x)


def flat_calls_module_lambdas(x, y):
    return np.maximum(x, 0.0) * (y * y + 1.0) + x * x + y + x * 3.0


def calls_compiled_helpers(x, y):
    return njit_helper(x, y) + wrapped_helper(y)


def flat_calls_compiled_helpers(x, y):
    return x * np.sin(y) + y + y * y * 3.0


# -- function-valued arguments ----------------------------------------------------


def activation_default(x, w, activation=np.tanh):
    return activation(x * w) + passes_activation(x, activation)


def passes_activation(x, f):
    return f(x) * 2.0


def helper_default_activation(x):
    return layer_with_default(x) + layer_with_default(x, act=relu)


def layer_with_default(x, act=np.tanh):
    return act(x * 2.0)


def flat_helper_default_activation(x):
    return np.tanh(x * 2.0) + np.maximum(x * 2.0, 0.0)


# -- static conditions -----------------------------------------------------------


def optional_argument(x, y=None, mode="train"):
    if y is None:
        y = 2.0
    scale = 1.0 if mode == "train" else 0.5
    if mode != "train":
        scale = scale * 3.0
    return x * y * scale


def identity_tests(x, activation=np.tanh, bias=None):
    if activation is np.tanh:
        z = np.tanh(x)
    else:
        z = activation(x)
    unbiased = bias is None
    if unbiased or callable(bias):
        return z * 2.0
    return z + bias


def type_tests(x, params):
    total = 0.0
    if isinstance(params, (list, tuple)):
        first, second = params[0], params[-1]
        total = total + (np.sum(first) if isinstance(first, np.ndarray) else first)
        total = total + (np.sum(second) if isinstance(second, np.ndarray) else second)
    if isinstance(x, float) and not isinstance(x, np.ndarray):
        total = total * x
    return total


# -- objects ---------------------------------------------------------------------


class Linear:
    """A plain class: fields set in __init__, methods that compute."""

    def __init__(self, W, b, scale=1.0):
        self.W = W
        self.b = b
        self.scale = scale

    def forward(self, X):
        return np.tanh(X @ self.W + self.b) * self.scale

    def loss(self, X, y):
        return np.mean((self.forward(X) - y) ** 2)

    @property
    def norm(self):
        return np.sum(self.W**2)


@dataclass
class Affine:
    W: np.ndarray
    b: float

    def __call__(self, X):
        return X @ self.W + self.b


Layer = namedtuple("Layer", ["W", "b"])


def object_loss(model, X, y):
    return model.loss(X, y) + 0.1 * model.norm


def flat_object_loss(model, X, y):
    h = np.tanh(X @ model.W + model.b) * model.scale
    return np.mean((h - y) ** 2) + 0.1 * np.sum(model.W**2)


def dataclass_loss(model, X):
    return np.sum(model(X) ** 2) + model.b**2


def named_tuple_loss(layers, X):
    h = np.tanh(X @ layers[0].W + layers[0].b)
    h = np.tanh(h @ layers[1].W + layers[1].b)
    W, b = layers[0]
    return np.sum(h) + np.sum(W) * np.sum(b)


# -- errors (the offending line carries `# ERR: <case>`) ---------------------------


def decorated_nested_def(x):
    @staticmethod  # ERR: decorated_nested_def
    def inner(t):
        return t

    return inner(x)


def recursive_local(x):
    def down(t):
        return down(t - 1.0)  # ERR: recursive_local

    return down(x)


def used_before_assignment(x):
    g = lambda t: t * late  # noqa: E731  # ERR: used_before_assignment
    y = g(x)
    late = 2.0
    return y + late


def type_of_computed_value(x):
    """Decided from the kinds; an error only where they are not known."""
    y = x * 2.0
    if isinstance(y, float):  # ERR: type_of_computed_value
        return y * y
    return np.sum(y)


def identity_of_numbers(x, y):
    if x is y:  # ERR: identity_of_numbers
        return x
    return y


def missing_method(model, X):
    return model.predict(X)  # ERR: missing_method


def returns_function(x):
    return lambda t: t * x  # ERR: returns_function


def function_as_number(x, activation=np.tanh):
    return activation * x  # ERR: function_as_number


def def_in_loop(x):
    total = 0.0
    for i in range(3):

        def step(t):
            if t > 1.0:
                return t * 2.0
            return t

        total = total + step(x + i)
    return total


def flat_def_in_loop(x):
    total = 0.0
    for i in range(3):
        t = x + i
        total = total + (t * 2.0 if t > 1.0 else t)
    return total


def builds_records(x, W):
    layer = Layer(W, b=x)
    affine = Affine(W=W, b=x * 2.0)
    return np.sum(np.tanh(layer.W * layer.b)) + np.sum(affine.W) * affine.b


def flat_builds_records(x, W):
    return np.sum(np.tanh(W * x)) + np.sum(W) * (x * 2.0)


def unwrapped_decorator(fn):
    def wrapper(*args):  # ERR: decorator_without_wraps
        return fn(*args)

    return wrapper


@unwrapped_decorator
def decorator_without_wraps(x):
    return x * x


def functions_in_list(x, W):
    acts = [np.tanh, lambda z: z * W, relu]
    h = x
    for act in acts:
        h = act(h)
    return np.sum(h)


def flat_functions_in_list(x, W):
    return np.sum(np.maximum(np.tanh(x) * W, 0.0))


class MLP:
    """Layers as a list of named tuples, the activation a field."""

    def __init__(self, layers, activation=np.tanh):
        self.layers = layers
        self.activation = activation

    def forward(self, X):
        h = X
        for layer in self.layers[:-1]:
            h = self.activation(h @ layer.W + layer.b)
        last = self.layers[-1]
        return h @ last.W + last.b


def mlp_object_loss(model, X, y):
    return np.mean((model.forward(X) - y) ** 2)


def flat_mlp_object_loss(model, X, y):
    (W1, b1), (W2, b2) = model.layers
    return np.mean((np.tanh(X @ W1 + b1) @ W2 + b2 - y) ** 2)


class Scaled:
    """A callable object read from a global: its fields are read at each call."""

    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return self.k * np.sin(x)


SCALED = Scaled(2.0)


def calls_global_callable(x):
    return SCALED(x) + SCALED.__call__(x) * 0.5


class SelfReferring:
    def __init__(self, W):
        self.W = W
        self.me = self


def sum_of_squares_of_W(model):
    return np.sum(model.W**2)
