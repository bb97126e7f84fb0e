"""User functions for tests/test_language_gaps.py: what the published example
programs of other AD libraries write (reductions of numbers, ``map``,
``zip(*xs)``, ``type(x)``, loops over free containers, run-time sums).

Bad functions carry a ``# ERR: <case>`` marker on the line their error
must name.
"""

import numpy as np

# -- reductions of numbers (NumPy reduces a float over no axes) ------------------------


def reductions_of_numbers(x, y):
    total = np.sum(x) * np.mean(x) + np.max(x * y) + np.prod(y)
    return total + np.min(x, keepdims=True) + np.sum(np.sum(x * y))


def reduction_of_number_along_axis(x):
    return np.sum(x, axis=0)  # ERR: number_axis
