"""Functions exercising the scalar language symdiff accepts (see test_language.py)."""

import math
from math import sin
from math import sqrt as root

import numpy as np

SCALE = 2.5
OFFSET = -1


def max_self(x):
    return max(x, x)


def tuple_swap(x, y):
    a, b = x, y * 2.0
    a, b = b, a
    return a * b + a


def fibonacci_like(x, y):
    a, b = x, y
    a, b = b, a + b
    a, b = b, a + b
    return a * b


def augmented(x, y):
    s = x
    s += y
    s *= x
    s -= 3.0
    s /= y
    s **= 2
    return s


def branches(x, y):
    if x > y:
        z = x * y
    elif x < -y:
        z = math.exp(x)
    else:
        z = y / x
    return z + x


def early_returns(x, y):
    """Docstrings are fine."""
    if x > 1.0:
        return x * x
    if y < 0.0:
        if x < -1.0:
            return -x * y
        y = y * 2.0
    return x + y * x


def conditional_expression(x, y):
    z = x * y if x > 0 and y > 0 else x - y
    return z * (1.0 if not x > 2 else 2.0)


def short_circuit(x):
    # The untaken operand must not be evaluated: log(x) for x <= 0.
    if x > 0 and math.log(x) > 1.0:
        return x * 2.0
    return x


def chained_comparison(x, y):
    if 0.0 < x < y:
        return x * y
    return x + y


def safe_log(x):
    # The untaken branch must not leak nan into the gradient.
    return math.log(x) if x > 0 else 0.0


def safe_sqrt(x):
    if x > 0.0:
        r = math.sqrt(x)
    else:
        r = 0.0
    return r * 3.0


def square(u):
    return u * u


def norm(u, v):
    return root(square(u) + square(v))


def uses_helpers(x, y):
    return norm(x, y) * sin(x) + square(norm(y, x))


def helper_with_branch(u, limit=1.0):
    if u > limit:
        return limit
    return u


def calls_helper_with_branch(x, y):
    return helper_with_branch(x * y) + helper_with_branch(y, limit=0.5) * x


def globals_and_constants(x):
    return SCALE * x + OFFSET + math.pi * np.e + float(x)


def int_and_bool_arguments(x, n, flag):
    y = x**n
    if flag:
        y = y + n * x
    return y


def harmless_statements(x, y):
    print("computing", x)
    assert x > -100
    z = x * y
    pass
    "a bare string"
    return z


def numpy_scalars(x, y):
    return np.exp(x) * np.tanh(y) + np.arctan2(x, y) + np.maximum(x, y)


def make_closure(k, power):
    def scaled(x, y):
        return k * x**power + square(y) * k

    return scaled


closure = make_closure(3.0, 3)


def unused_input(x, y):
    return x * 2.0


def constant_output(x):
    return 4.0


def identity(x):
    return x


def reassigned_param(x, y):
    x = x * y
    x = math.sin(x)
    return x + y


def nested_branches(x, y):
    if x > 0:
        if y > 0:
            r = x * y
        else:
            r = x - y
        s = r * 2.0
    else:
        s = -x
        r = s
    return r + s


def comparison_as_number(x, y):
    return -(y * (x > y))


def bool_argument_in_math(x, z):
    return math.cos(z) * x
