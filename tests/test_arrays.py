"""Arrays: every array primitive in both modes against SymPy and finite
differences, broadcasting, the models of an ML course against backprop written
out by hand, specialisation per rank, and the errors of bad input."""

import linecache

import numpy as np
import pytest

import symdiff
from symdiff import ArgumentError, UnknownFunctionError, check_grad, grad, value_and_grad
from symdiff.errors import ShapeError

from . import array_cases as ac

rng = np.random.default_rng(7)


def r(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape)


# (function, arguments): every float argument is differentiated.
CASES = [
    (ac.a_sin, (r(3),)),
    (ac.a_exp_log, (r(2, 3),)),
    (ac.a_sqrt_tanh, (r(4),)),
    (ac.a_abs_sign, (r(5),)),
    (ac.a_erf, (r(4),)),
    (ac.a_power, (r(3), r(3, low=0.5, high=2.0))),
    (ac.a_div, (r(2, 2), r(2))),
    (ac.a_arctan2_hypot, (r(3), r(3, low=0.5, high=1.0))),
    (ac.a_maximum, (r(4), r(4))),
    (ac.a_where, (r(4), r(4))),
    (ac.a_clip, (np.array([-0.9, -0.2, 0.1, 0.7]),)),
    (ac.a_bias, (r(3, 2), r(2))),
    (ac.a_column, (r(3, 2), r(3, 1))),
    (ac.a_scalar_times, (0.7, r(3))),
    (ac.a_keepdims, (r(3, 4),)),
    (ac.a_dot_vv, (r(3), r(3))),
    (ac.a_dot_mv, (r(2, 3), r(3))),
    (ac.a_dot_vm, (r(2), r(2, 3))),
    (ac.a_matmul, (r(2, 3), r(3, 2))),
    (ac.a_outer, (r(2), r(3))),
    (ac.a_transpose, (r(3, 2),)),
    (ac.a_reshape, (r(2, 3),)),
    (ac.a_reshape_2d, (r(6),)),
    (ac.a_sum_axis, (r(2, 3),)),
    (ac.a_sum_keepdims, (r(3, 2, low=0.5, high=1.0),)),
    (ac.a_mean, (r(2, 3),)),
    (ac.a_max, (r(3, 4),)),
    (ac.a_min, (r(3, 2),)),
    (ac.a_prod, (r(4, low=0.5, high=1.5),)),
    (ac.a_cumsum, (r(5),)),
    (ac.a_cumsum_flat, (r(2, 3),)),
    (ac.a_cumsum_axis, (r(3, 4),)),
    (ac.a_flip, (r(3, 2),)),
    (ac.a_index, (r(4),)),
    (ac.a_index_2d, (r(3, 4),)),
    (ac.a_shapes, (r(2, 3),)),
    (ac.a_constants, (r(3, 3),)),
    (ac.a_stack, (0.3, -1.2)),
    (ac.a_mixed, (r(3), 0.1)),
    (ac.a_const_column, (r(4, 2),)),
    (ac.a_slice_column, (r(4, 3), r(5))),
    (ac.a_reshape_runtime, (r(2), 2)),
    (ac.a_reshape_runtime, (r(4), 2)),
    (ac.a_max_ties, (np.array([1.0, 1.0, 0.5, 0.5]),)),  # ties share the derivative
    (ac.a_branch, (r(3, low=0.1),)),
    (ac.a_branch, (r(3, high=-0.1),)),
]
IDS = [f"{fn.__name__}-{i}" for i, (fn, _) in enumerate(CASES)]
JIT_SUBSET = {"a_slice_column", "a_reshape_runtime", "a_erf", "a_exp_log", "a_bias", "a_column", "a_keepdims", "a_dot_mv", "a_matmul",
              "a_max", "a_index_2d", "a_mean", "a_where", "a_cumsum_flat", "a_cumsum_axis", "a_flip"}  # fmt: skip


@pytest.mark.parametrize("fn, args", CASES, ids=IDS)
def test_array_primitive(fn, args):
    report = check_grad(fn, *args, jit=False)
    assert report.ok, str(report)
    assert report.sympy_value is not None and not report.notes, report.notes
    assert report.value == pytest.approx(fn(*args), rel=1e-13)


@pytest.mark.parametrize(
    "fn, args", [c for c in CASES if c[0].__name__ in JIT_SUBSET],
    ids=[i for i, c in zip(IDS, CASES) if c[0].__name__ in JIT_SUBSET],
)  # fmt: skip
def test_array_primitive_compiled(fn, args):
    argnums = tuple(i for i, a in enumerate(args) if isinstance(a, (float, np.ndarray)))
    plain = grad(fn, argnums, jit=False)(*args)
    for mode in ("reverse", "forward"):
        compiled = grad(fn, argnums, mode=mode, jit=True)(*args)
        for a, b in zip(plain, compiled):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_broadcast_adjoints_sum_over_broadcast_axes():
    X, b, c = r(4, 3), r(3), r(4, 1)
    gb = grad(ac.a_bias, argnums=1, jit=False)(X, b)
    np.testing.assert_allclose(gb, np.sum(2 * (X + b), axis=0), rtol=1e-13)
    gc = grad(ac.a_column, argnums=1, jit=False)(X, c)
    assert gc.shape == (4, 1)
    np.testing.assert_allclose(gc, np.sum(X * (1 - np.tanh(X * c) ** 2), axis=1, keepdims=True))
    gs = grad(ac.a_scalar_times, jit=False)(0.7, np.arange(3.0))
    assert np.ndim(gs) == 0


# -- models against backprop written out by hand ------------------------------
def test_linear_regression_gradient_is_the_textbook_one():
    X, w, y = r(50, 4), r(4), r(50)
    g = grad(ac.mse_loss)(w, X, y)
    np.testing.assert_allclose(g, 2.0 / 50 * X.T @ (X @ w - y), rtol=1e-12)


def test_logistic_regression_gradient():
    X, w, b, y = r(30, 3), r(3), 0.2, (r(30) > 0) * 1.0
    gw, gb = grad(ac.logistic_loss, argnums=(0, 1))(w, b, X, y, 0.01)
    p = 1 / (1 + np.exp(-(X @ w + b)))
    np.testing.assert_allclose(gw, X.T @ (p - y) / 30 + 0.02 * w, rtol=1e-11)
    assert gb == pytest.approx(np.mean(p - y), rel=1e-11)


def test_softmax_cross_entropy_gradient():
    X, W, b = r(20, 3), r(3, 4), r(4)
    Y = np.eye(4)[rng.integers(0, 4, size=20)]
    gW, gb = grad(ac.softmax_cross_entropy, argnums=(0, 1))(W, b, X, Y)
    z = X @ W + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(gW, X.T @ (p - Y) / 20, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(gb, np.sum(p - Y, axis=0) / 20, rtol=1e-10, atol=1e-15)


def mlp_backprop(W1, b1, W2, b2, W3, b3, X, y):
    """The gradient of ac.mlp_loss, written out by hand."""
    n = X.shape[0]
    z1 = X @ W1 + b1
    h1 = np.maximum(z1, 0.0)
    h2 = np.tanh(h1 @ W2 + b2)
    out = 1 / (1 + np.exp(-(h2 @ W3 + b3)))
    d_out = np.zeros_like(out)
    d_out[:, 0] = 2 * (out[:, 0] - y) / n
    d_z3 = d_out * out * (1 - out)
    d_W3, d_b3 = h2.T @ d_z3, d_z3.sum(axis=0)
    d_z2 = (d_z3 @ W3.T) * (1 - h2**2)
    d_W2, d_b2 = h1.T @ d_z2, d_z2.sum(axis=0)
    d_z1 = (d_z2 @ W2.T) * (z1 > 0)
    return X.T @ d_z1, d_z1.sum(axis=0), d_W2, d_b2, d_W3, d_b3


@pytest.mark.parametrize("jit", [False, True])
def test_mlp_gradient_matches_hand_written_backprop(jit):
    sizes = [(5, 8), (8,), (8, 6), (6,), (6, 1), (1,)]
    params = [r(*s) for s in sizes]
    X, y = r(16, 5), r(16)
    grads = grad(ac.mlp_loss, argnums=tuple(range(6)), jit=jit)(*params, X, y)
    for ours, theirs in zip(grads, mlp_backprop(*params, X, y)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-14)


def test_one_compile_serves_every_batch_size():
    g = value_and_grad(ac.mse_loss)
    w = r(4)
    for n in (100, 37, 2):  # the last mini-batch may be shorter
        X, y = r(n, 4), r(n)
        value, grad_w = g(w, X, y)
        np.testing.assert_allclose(grad_w, 2.0 / n * X.T @ (X @ w - y), rtol=1e-12)
    assert len(g._impls) == 1
    # A batch of one row has axes of size 1, which broadcast: its own specialisation.
    X, y = r(1, 4), r(1)
    np.testing.assert_allclose(g(w, X, y)[1], 2.0 * X.T @ (X @ w - y), rtol=1e-12)
    assert len(g._impls) == 2


def test_generated_gradient_reads_like_the_textbook():
    source = symdiff.derivative_source(ac.mse_loss, r(4), r(9, 4), r(9))
    assert "weights_bar = np.dot(X.T, 2 * (predictions - y) / X.shape[0])" in source


# -- bad input ------------------------------------------------------------------
def marker_line(name):
    for lineno in range(1, 400):
        if f"# ERR: {name}" in linecache.getline(ac.__file__, lineno):
            return lineno
    raise AssertionError(name)


@pytest.mark.parametrize(
    "name, call, exc",
    [
        ("bad_shapes", lambda: grad(ac.bad_shapes, jit=False)(r(2, 3), r(4)), ShapeError),
        ("bad_shapes", lambda: grad(ac.bad_shapes)(r(2, 3), r(4)), ShapeError),
        ("bad_eig", lambda: grad(ac.bad_eig)(r(2, 2)), UnknownFunctionError),
        ("bad_inplace", lambda: grad(ac.bad_inplace)(r(3)), ShapeError),
        ("bad_array_output", lambda: grad(ac.bad_array_output)(r(3)), ArgumentError),
        ("bad_rank", lambda: grad(ac.bad_rank)(r(2, 2)), ShapeError),
        (
            "bad_forward_output",
            lambda: grad(ac.bad_forward_output, mode="forward")(r(3)),
            ArgumentError,
        ),
        ("bad_index", lambda: grad(ac.bad_index, jit=False)(r(3)), ShapeError),
        ("bad_index", lambda: grad(ac.bad_index)(r(3)), ShapeError),
        ("bad_max_axis", lambda: grad(ac.bad_max_axis)(r(2, 2, 2)), ShapeError),
    ],
)
def test_bad_array_input_names_the_line(name, call, exc):
    with pytest.raises(exc) as info:
        call()
    err = info.value
    assert err.filename == ac.__file__ and err.lineno == marker_line(name), str(err)
    assert err.hint
