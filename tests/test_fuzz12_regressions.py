"""Defects found by the random programs of ``tests/test_fuzz12_properties.py``
(issue 12's NumPy and SciPy functions), each minimised to a few lines and
checked against NumPy and finite differences in both modes."""

import numpy as np
import pytest

from symdiff import check_grad, derivative_source, grad


def shifted_by_linspace(A):
    return np.sum(np.sin(A + np.linspace(0.0, 1.0, 3)))


def std_of_shifted(A):
    return np.sum(np.std(A + np.arange(3) * 0.7, axis=0, keepdims=True))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("fn", [shifted_by_linspace, std_of_shifted])
def test_float32_code_keeps_int_arrays_meeting_floats_in_float32(fn, mode):
    """``np.arange(n) * 0.7`` in float32 code: ``np.float32(0.7)`` times an
    int64 array is float64 in NumPy and Numba, and the gradient was float64."""
    A = np.array([0.3, -0.2, 0.6], dtype=np.float32)
    g = grad(fn, mode=mode, jit=False)(A)
    assert g.dtype == np.float32
    expected = grad(fn, mode=mode, jit=False)(A.astype(np.float64))
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)
    assert ".astype(np.float32)" in derivative_source(fn, A, mode=mode)
    assert check_grad(fn, A.astype(np.float64), jit=False).ok


def test_float32_int_array_cast_compiles():
    A = np.array([0.3, -0.2, 0.6], dtype=np.float32)
    compiled = grad(shifted_by_linspace)(A)
    assert compiled.dtype == np.float32
    np.testing.assert_allclose(compiled, grad(shifted_by_linspace, jit=False)(A), rtol=1e-6)
