"""Log-space functions: ``logsumexp``, ``logaddexp``, ``softmax``, ``log_softmax``.

Each shifts by the largest value for stability, as SciPy and NumPy do; the
shift goes through ``stop_gradient``, as its derivative contributions cancel
exactly, so the generated gradient is the textbook one (``softmax`` times
the adjoint) with no code for the max.  Ties and ``-inf`` follow the
formulas: ``logsumexp`` of all ``-inf`` along an axis is ``nan`` (SciPy: ``-inf``).
"""

import numpy as np

from .registry import define, refuse, stop_gradient


@define("scipy.special.logsumexp")
def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    if return_sign:
        refuse("logsumexp(..., return_sign=True) is not supported", "leave return_sign out")
    shift = stop_gradient(np.max(a, axis=axis, keepdims=True))
    terms = np.exp(a - shift) if b is None else b * np.exp(a - shift)
    total = np.sum(terms, axis=axis, keepdims=keepdims)
    if keepdims:
        return np.log(total) + shift
    return np.log(total) + stop_gradient(np.max(a, axis=axis))


@define("scipy.special.softmax")
def softmax(x, axis=None):
    terms = np.exp(x - stop_gradient(np.max(x, axis=axis, keepdims=True)))
    total = np.sum(terms, axis=axis, keepdims=True)
    return terms / total


@define("scipy.special.log_softmax")
def log_softmax(x, axis=None):
    shifted = x - stop_gradient(np.max(x, axis=axis, keepdims=True))
    terms = np.exp(shifted)
    total = np.sum(terms, axis=axis, keepdims=True)
    return shifted - np.log(total)


@define("numpy.logaddexp")
def logaddexp(x1, x2):
    shift = stop_gradient(np.maximum(x1, x2))
    return shift + np.log(np.exp(x1 - shift) + np.exp(x2 - shift))


@define("numpy.logaddexp2")
def logaddexp2(x1, x2):
    shift = stop_gradient(np.maximum(x1, x2))
    return shift + np.log2(2.0 ** (x1 - shift) + 2.0 ** (x2 - shift))
