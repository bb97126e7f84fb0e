"""grad(f, parallel=True): independent loops run with prange, array code on Numba's
parallel backend; the numbers are those of the serial gradient, to rounding."""

import numpy as np
import pytest

import symdiff

from . import parallel_cases as cases


def _loop_lines(source):
    return [line.strip() for line in source.splitlines() if line.strip().startswith("for ")]


def test_a_loop_whose_iterations_write_their_own_elements_runs_across_cores():
    x = np.linspace(-1.0, 2.0, 101)
    source = symdiff.grad(cases.per_element, parallel=True).source(x)
    assert _loop_lines(source) == ["for i in prange(x.shape[0]):"]
    assert "compiled with Numba's parallel backend" in source
    serial = symdiff.grad(cases.per_element, jit=False)(x)
    np.testing.assert_allclose(
        symdiff.grad(cases.per_element, parallel=True)(x), serial, rtol=1e-14
    )
    value, gradient = symdiff.value_and_grad(cases.per_element, parallel=True)(x)
    assert value == pytest.approx(cases.per_element(x), rel=1e-13)  # a reduction: any order
    np.testing.assert_allclose(gradient, serial, rtol=1e-14)


def test_loops_with_dependences_stay_serial():
    x = np.linspace(0.5, 1.5, 7)
    # x_bar[i] and x_bar[i + 1]: two iterations write one element
    source = symdiff.grad(cases.neighbours, parallel=True).source(x)
    assert not any("prange" in line for line in _loop_lines(source))
    # s_bar is carried from one iteration to the next
    source = symdiff.grad(cases.product, parallel=True).source(x)
    assert not any("prange" in line for line in _loop_lines(source))
    got = symdiff.grad(cases.product, parallel=True, jit=False)(x)
    np.testing.assert_allclose(got, [np.prod(np.delete(x, k)) for k in range(7)], rtol=1e-14)


def test_array_code_on_the_parallel_backend():
    rng = np.random.default_rng(1)
    X, y, w = rng.normal(size=(500, 4)), rng.normal(size=500), rng.normal(size=4)
    got = symdiff.grad(cases.mse, parallel=True)(w, X, y)
    np.testing.assert_allclose(got, 2 * X.T @ (X @ w - y) / 500, rtol=1e-12)
    assert "from numba import prange" in symdiff.grad(cases.mse, parallel=True).source(w, X, y)
    assert "prange" not in symdiff.grad(cases.mse).source(w, X, y)
