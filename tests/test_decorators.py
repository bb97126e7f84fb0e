"""A decorator's wrapper is differentiated as it is called: a wrapper that
changes the value (scales it, shifts an argument) gives the gradient of what
it returns, a pass-through one that of the wrapped function; a wrapper whose
source cannot be read is refused unless it is known to keep the values
(``functools.lru_cache``), never followed silently."""

import numpy as np
import pytest

from symdiff import grad
from symdiff.errors import SymDiffError

from . import decorator_cases as cases

X = np.array([0.4, -1.2, 0.9])
Y = np.array([1.5, 0.5, -2.0])


def numeric_gradient(fn, args, h=1e-6):
    x = args[0]
    out = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = h
        out[i] = (fn(x + step, *args[1:]) - fn(x - step, *args[1:])) / (2 * h)
    return out


ROWS = [
    (cases.scaled_loss, (X,)),
    (cases.plain_loss, (X, Y)),
    (cases.shifted_loss, (X, Y)),
    (cases.calls_a_scaled_helper, (X,)),
]


@pytest.mark.parametrize("mode", ("reverse", "forward"))
@pytest.mark.parametrize("fn, args", ROWS, ids=lambda v: getattr(v, "__name__", ""))
def test_what_is_called_is_differentiated(fn, args, mode):
    got = grad(fn, mode=mode, jit=False)(*args)
    np.testing.assert_allclose(got, numeric_gradient(fn, args), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ("reverse", "forward"))
def test_a_scaling_decorator_with_numba(mode):
    got = grad(cases.calls_a_scaled_helper, mode=mode, jit=True)(X)
    np.testing.assert_allclose(got, 2.0 * (1.0 - np.tanh(X) ** 2) + 1.0, rtol=1e-12)


def test_lru_cache_is_read_through():
    got = grad(cases.cached, jit=False)(0.7)
    assert got == pytest.approx(np.sin(0.7) + 0.7 * np.cos(0.7), rel=1e-12)


@pytest.mark.parametrize(
    "fn, where",
    [
        (cases.opaque_loss, "test_decorators.py:"),
        (cases.calls_an_opaque_helper, "return opaque_loss(x)"),
    ],
)
def test_a_wrapper_that_cannot_be_read_is_refused(fn, where):
    with pytest.raises(SymDiffError, match="cannot be differentiated") as info:
        grad(fn, jit=False)(X)
    text = str(info.value)
    assert where in text and "fn.__wrapped__" in text
