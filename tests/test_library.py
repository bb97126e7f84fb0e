"""The library's definitions (``symdiff.library``) and ``stop_gradient``:
each NumPy/SciPy function as users call it, both modes, plain and compiled,
against NumPy/SciPy and finite differences (``numpy_table``)."""

import numpy as np
import pytest
import scipy.special

import symdiff
from symdiff import stop_gradient

from .numpy_table import Row, check, normal, params, positive

VECTORS = [((5,),), ((3, 4),), ((2, 3, 4),)]

TABLE = [
    Row("var", lambda x: np.var(x), [((),), *VECTORS]),
    Row("var-axis0-ddof1", lambda x: np.var(x, axis=0, ddof=1), [((4,),), ((4, 3),)]),
    Row("var-axis-1-keepdims", lambda x: np.var(x, axis=-1, keepdims=True), [((4, 3),), ((2, 3, 4),)]),
    Row("var-method", lambda x: x.var(1), [((4, 3),)], jit=False),
    Row("std", lambda x: np.std(x), VECTORS),
    Row("std-axis1-ddof1", lambda x: np.std(x, axis=1, ddof=1), [((4, 3),)]),
    Row("std-method", lambda x: x.std(axis=0, keepdims=True), [((4, 3),)], jit=False),
    Row("logsumexp", lambda x: scipy.special.logsumexp(x), [((),), *VECTORS]),
    Row("logsumexp-axis1", lambda x: scipy.special.logsumexp(x, axis=1), [((4, 3),)]),
    Row("logsumexp-keepdims", lambda x: scipy.special.logsumexp(x, axis=0, keepdims=True), [((4, 3),)]),
    Row("logsumexp-b", lambda x, b: scipy.special.logsumexp(x, axis=-1, b=b), [((4, 3), (3,))], domain=(normal, positive)),
    Row("softmax", lambda x: scipy.special.softmax(x, axis=1), [((4, 3),)]),
    Row("softmax-rank3", lambda x: scipy.special.softmax(x, axis=1), [((2, 3, 4),)]),
    Row("logsumexp-rank3-keepdims", lambda x: scipy.special.logsumexp(x, axis=(0, 2), keepdims=True), [((2, 3, 4),)]),
    Row("logsumexp-rank3", lambda x: scipy.special.logsumexp(x, axis=1), [((2, 3, 4),)], jit=False),
    Row("softmax-all", lambda x: scipy.special.softmax(x), [((5,),)]),
    Row("log_softmax", lambda x: scipy.special.log_softmax(x, axis=-1), [((4, 3),), ((6,),)]),
    Row("logaddexp", lambda a, b: np.logaddexp(a, b), [((), ()), ((4,), ()), ((4, 3), (3,))]),
    Row("logaddexp2", lambda a, b: np.logaddexp2(a, b), [((), ()), ((4, 3), (4, 1))]),
]  # fmt: skip


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_library_function(row, shapes, jit):
    check(row, shapes, jit)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("jit", [False, True])
def test_stop_gradient_is_a_constant_to_derivatives(mode, jit):
    def f(x, y):
        return np.sum(x * stop_gradient(x * y) + y)

    x, y = np.array([1.5, -2.0, 0.5]), np.array([[0.3, 0.7, -1.1], [2.0, 1.0, 0.1]])
    gx, gy = symdiff.grad(f, (0, 1), mode=mode, jit=jit)(x, y)
    assert np.allclose(gx, (x * y).sum(axis=0)) and np.allclose(gy, 1.0)


def test_stop_gradient_makes_no_adjoint_code():
    def f(x):
        return np.sum(x * stop_gradient(np.exp(x)))

    source = symdiff.derivative_source(f, np.ones(3))
    assert "x_bar" not in source.split("def f_grad")[1].split("return")[0] or "exp" in source
    assert np.allclose(symdiff.grad(f, jit=False)(np.ones(3)), np.exp(1.0))


def test_logsumexp_gradient_has_no_max_mask():
    """The max shift is stopped: the gradient is the softmax, with no code
    comparing the input with its maximum."""

    def f(z):
        return np.sum(scipy.special.logsumexp(z, axis=1))

    source = symdiff.derivative_source(f, np.ones((4, 3)))
    assert "==" not in source and "np.where" not in source
    z = np.random.default_rng(0).standard_normal((4, 3))
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert np.allclose(symdiff.grad(f, jit=False)(z), expected)


def test_a_refusal_names_the_users_call():
    def f(x):
        return np.var(x, dtype=np.float32)

    with pytest.raises(symdiff.SymDiffError) as info:
        symdiff.grad(f, jit=False)(np.ones(3))
    message = str(info.value)
    assert "test_library.py" in message and "var() with dtype=" in message
    assert "symdiff/library" not in message


def test_stop_gradient_check_grad_agrees_with_sympy():
    def f(x, y):
        return x * stop_gradient(x * y) + y

    report = symdiff.check_grad(f, 1.5, -0.5, jit=False)
    assert report.ok, report


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_std_of_equal_elements_has_derivative_zero(mode):
    """The convention (as abs at 0): 0, not the chain rule's inf * 0 = nan;
    the std of one element is 0 everywhere, so its derivative is 0."""

    def f(x):
        return np.sum(np.std(x, axis=0))

    x = np.array([[1.0, 2.0], [1.0, 3.0]])  # column 0: equal elements
    g = symdiff.grad(f, mode=mode, jit=False)(x)
    assert np.all(np.isfinite(g)) and np.allclose(g[:, 0], 0.0)
    assert np.allclose(g[:, 1], [-0.5, 0.5])
    assert symdiff.grad(lambda s: np.std(s), mode=mode, jit=False)(3.5) == 0.0
