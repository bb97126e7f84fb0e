"""The function of the README and the issue tracker."""

import math


def f(x, z):
    return math.exp(x * z) + x * z / math.log(x) + math.sin(math.log(x)) / (x * z)
