"""The ``operator`` module's arithmetic as functions (``operator.add(a, b)``,
``functools.reduce(operator.mul, xs)``, ``map(operator.sub, xs, ys)``): each
is the operator it names, with that operator's derivative and conventions
(``operator.mod`` is ``%``: derivative 1 in ``a`` and ``-floor(a / b)`` in
``b``, and jumps where ``a / b`` is an integer, as ``%`` does).

``functools.reduce(function, items[, initial])`` folds a list, a tuple or
the rows of an array from the left, as Python does.
"""

from .registry import define


@define("operator.add operator.__add__")
def add(a, b):
    return a + b


@define("operator.sub operator.__sub__")
def sub(a, b):
    return a - b


@define("operator.mul operator.__mul__")
def mul(a, b):
    return a * b


@define("operator.truediv operator.__truediv__")
def truediv(a, b):
    return a / b


@define("operator.pow operator.__pow__")
def pow(a, b):
    return a**b


@define("operator.mod operator.__mod__")
def mod(a, b):
    return a % b


@define("operator.matmul operator.__matmul__")
def matmul(a, b):
    return a @ b


@define("operator.neg operator.__neg__")
def neg(a):
    return -a


@define("operator.pos operator.__pos__")
def pos(a):
    return +a


@define("operator.abs operator.__abs__")
def absolute(a):
    return abs(a)


@define("functools.reduce")
def reduce(function, iterable, initial=None):
    if initial is None:  # None is no initial value (numeric code never folds from None)
        value = iterable[0]
        rest = iterable[1:]
    else:
        value = initial
        rest = iterable
    for item in rest:
        value = function(value, item)
    return value
