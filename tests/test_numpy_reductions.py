"""Reductions and statistics: ``np.sum``/``mean``/``max``/``min``/``prod``
along any axes of any rank, ``np.var``/``std`` with tuple axes, ``np.cumsum``,
``np.cumprod``, ``np.diff``, ``np.average``, ``np.linalg.norm``, ``np.size``
and ``np.ndim``: each as users call it, both modes, plain and compiled, against
NumPy and finite differences (``numpy_table``); the conventions at
non-differentiable points; the errors for what is not supported."""

import numpy as np
import pytest

import symdiff

from .numpy_table import Row, check, distinct, normal, params, positive


def with_zeros(rng, shape):
    """Normal values with about a third of them exactly 0 (products, norms)."""
    value = rng.standard_normal(shape)
    value[rng.uniform(size=shape) < 0.34] = 0.0
    return value


def near_one(rng, shape):
    """In (0.6, 1.4): long running products stay of order 1."""
    return rng.uniform(0.6, 1.4, shape)


RANK3 = (2, 3, 4)
AXES = (0, 2)  # a global tuple of axes: read when the code is generated

REDUCTIONS = [
    Row("sum-axes02", lambda x: np.sum(x, axis=(0, 2)), [(RANK3,), ((2, 3, 2, 2),)]),
    Row("sum-axes-negative-keepdims", lambda x: np.sum(x, axis=(-1, 0), keepdims=True), [(RANK3,), ((3, 4),)]),
    Row("sum-axis1-rank3-keepdims", lambda x: np.sum(x, axis=1, keepdims=True), [(RANK3,)], jit=False),
    Row("sum-global-axes", lambda x: np.sum(x, axis=AXES), [(RANK3,)], jit=False),
    Row("sum-all-axes", lambda x: np.sum(x, axis=(0, 1, 2)), [(RANK3,)], jit=False),
    Row("sum-method-positional", lambda x: x.sum((1, 2)), [(RANK3,)], jit=False),
    Row("mean-axes", lambda x: np.mean(x, axis=(0, 2)), [(RANK3,), ((2, 3, 2, 2),)]),
    Row("mean-axes-keepdims", lambda x: np.mean(x, (1, -1), keepdims=True), [(RANK3,)], jit=False),
    Row("mean-method-axis-1", lambda x: x.mean(axis=-1), [(RANK3,)], jit=False),
    Row("max-axis1-rank3", lambda x: np.max(x, axis=1), [(RANK3,), ((2, 3, 2, 2),)], domain=distinct),
    Row("max-axis0-rank3", lambda x: np.max(x, axis=0), [(RANK3,)], domain=distinct, jit=False),
    Row("max-axes-keepdims", lambda x: np.max(x, axis=(0, 2), keepdims=True), [(RANK3,), ((3, 4, 2),)], domain=distinct),
    Row("amax-axis-1", lambda x: np.amax(x, axis=-1), [(RANK3,)], domain=distinct, jit=False),
    Row("max-method-axes", lambda x: x.max(axis=(1, 2)), [(RANK3,)], domain=distinct, jit=False),
    Row("min-axis2-keepdims", lambda x: np.min(x, axis=2, keepdims=True), [(RANK3,)], domain=distinct, jit=False),
    Row("min-axes", lambda x: np.min(x, axis=(0, 1)), [(RANK3,), ((3, 4, 2, 2),)], domain=distinct),
    Row("min-method", lambda x: x.min(-2), [(RANK3,)], domain=distinct, jit=False),
    Row("prod-axis1-rank3", lambda x: np.prod(x, axis=1), [(RANK3,), ((2, 3, 2, 2),)]),
    Row("prod-axes-keepdims", lambda x: np.prod(x, axis=(2, 0), keepdims=True), [(RANK3,)]),
    Row("prod-axes-zeros", lambda x: np.prod(x, axis=(0, 1)), [(RANK3,), ((4, 3),)], domain=with_zeros, jit=False),
    Row("prod-method-axis-1", lambda x: x.prod(axis=-1), [(RANK3,)], jit=False),
    Row("max-of-sum", lambda x: np.max(np.sum(x, axis=2), axis=0), [(RANK3,)], domain=distinct, jit=False),
    Row("prod-of-mean", lambda x: np.prod(np.mean(x, axis=(0,)), axis=-1, keepdims=True), [(RANK3,)], jit=False),
    Row("sum-of-max", lambda x: np.sum(np.max(x, axis=(1, 2)) * np.min(x, axis=(0, 2))), [((3, 3, 2),)], domain=distinct, jit=False),
]  # fmt: skip

STATISTICS = [
    Row("var-axes", lambda x: np.var(x, axis=(0, 2)), [(RANK3,), ((2, 3, 2, 2),)]),
    Row("var-axes-ddof1-keepdims", lambda x: np.var(x, axis=(1, -1), ddof=1, keepdims=True), [(RANK3,)], jit=False),
    Row("var-axis1-rank3", lambda x: np.var(x, axis=1), [(RANK3,)], jit=False),
    Row("std-axes", lambda x: np.std(x, axis=(0, 1)), [(RANK3,)], jit=False),
    Row("std-method-axes", lambda x: x.std(axis=(1, 2), ddof=1), [(RANK3,)], jit=False),
    Row("cumsum-axis1-rank3", lambda x: np.cumsum(x, axis=1), [(RANK3,)]),
    Row("cumsum-axis-1-rank3", lambda x: np.cumsum(x, axis=-1), [(RANK3,), ((2, 2, 2, 3),)], jit=False),
    Row("cumsum-flat-rank3", lambda x: np.cumsum(x), [(RANK3,)], jit=False),
    Row("cumprod", lambda x: np.cumprod(x), [((5,),), ((3, 4),), (RANK3,)], domain=near_one),
    Row("cumprod-zeros", lambda x: np.cumprod(x), [((6,),), ((3, 4),)], domain=with_zeros, jit=False),
    Row("cumprod-axis0", lambda x: np.cumprod(x, axis=0), [((4, 3),), (RANK3,)], domain=with_zeros, jit=False),
    Row("cumprod-axis1-rank3", lambda x: np.cumprod(x, 1), [(RANK3,)], domain=with_zeros),
    Row("cumprod-axis-1", lambda x: np.cumprod(x, axis=-1), [(RANK3,), ((5,),)], domain=near_one, jit=False),
    Row("cumprod-method", lambda x: x.cumprod(axis=1), [((3, 4),)], domain=with_zeros, jit=False),
    Row("diff", lambda x: np.diff(x), [((5,),), ((3, 4),), (RANK3,)]),
    Row("diff-n2-axis0", lambda x: np.diff(x, n=2, axis=0), [((5, 3),), ((4, 3, 2),)]),
    Row("diff-positional", lambda x: np.diff(x, 2, 1), [((2, 5, 3),)], jit=False),
    Row("diff-axis-2", lambda x: np.diff(x, axis=-2), [(RANK3,)], jit=False),
    Row("diff-n0", lambda x: np.diff(x, n=0) * 2.0, [((4,),)], jit=False),
    Row("average", lambda x: np.average(x), [((5,),), ((3, 4),)], jit=False),
    Row("average-axes", lambda x: np.average(x, axis=(0, 2), keepdims=True), [(RANK3,)], jit=False),
    Row("average-weights", lambda x, w: np.average(x, weights=w), [((3, 4), (3, 4))], domain=(normal, positive), jit=False),
    Row("average-weights-axis", lambda x, w: np.average(x, axis=1, weights=w), [((3, 4), (4,)), ((2, 4, 3), (4,))], domain=(normal, positive)),
    Row("average-weights-axis-1", lambda x, w: np.average(x, -1, w, keepdims=True), [((3, 4), (4,))], domain=(normal, positive), jit=False),
    Row("average-weights-axes", lambda x, w: np.average(x, axis=(0, 1), weights=w), [((2, 3, 2), (2, 3, 2))], domain=(normal, positive), jit=False),
]  # fmt: skip

NORMS = [
    Row("norm", lambda x: np.linalg.norm(x), [((5,),), ((3, 4),), (RANK3,)]),
    Row("norm-keepdims", lambda x: np.linalg.norm(x, keepdims=True), [((3, 4),)], jit=False),
    Row("norm-ord2", lambda x: np.linalg.norm(x, 2), [((5,),)], jit=False),
    Row("norm-ord1", lambda x: np.linalg.norm(x, ord=1), [((5,),)], jit=False),
    Row("norm-ord-inf", lambda x: np.linalg.norm(x, ord=np.inf), [((5,),)], domain=distinct, jit=False),
    Row("norm-ord-minus-inf", lambda x: np.linalg.norm(x, ord=-np.inf), [((5,),)], domain=distinct, jit=False),
    Row("norm-ord3", lambda x: np.linalg.norm(x, ord=3), [((5,),)]),
    Row("norm-ord1.5-axis0", lambda x: np.linalg.norm(x, ord=1.5, axis=0), [((4, 3),)], jit=False),
    Row("norm-fro", lambda x: np.linalg.norm(x, "fro"), [((3, 4),)], jit=False),
    Row("norm-matrix-ord1", lambda x: np.linalg.norm(x, ord=1), [((3, 4),)], domain=distinct),
    Row("norm-matrix-ord-1", lambda x: np.linalg.norm(x, ord=-1), [((3, 4),)], domain=distinct, jit=False),
    Row("norm-matrix-ord-inf", lambda x: np.linalg.norm(x, ord=np.inf), [((3, 4),)], domain=distinct, jit=False),
    Row("norm-matrix-ord-minus-inf", lambda x: np.linalg.norm(x, ord=-np.inf), [((4, 3),)], domain=distinct, jit=False),
    Row("norm-axis1", lambda x: np.linalg.norm(x, axis=1), [((3, 4),), (RANK3,)]),
    Row("norm-axis-1-keepdims", lambda x: np.linalg.norm(x, axis=-1, keepdims=True), [(RANK3,)], jit=False),
    Row("norm-axis0-ord1", lambda x: np.linalg.norm(x, 1, 0), [((3, 4),)], jit=False),
    Row("norm-axis-tuple1", lambda x: np.linalg.norm(x, axis=(1,), ord=np.inf), [(RANK3,)], domain=distinct, jit=False),
    Row("norm-axes-fro", lambda x: np.linalg.norm(x, axis=(1, 2)), [(RANK3,)], jit=False),
    Row("norm-axes-ord1-keepdims", lambda x: np.linalg.norm(x, ord=1, axis=(2, 0), keepdims=True), [(RANK3,)], domain=distinct),
    Row("norm-axes-ord-inf", lambda x: np.linalg.norm(x, ord=np.inf, axis=(-1, 1)), [(RANK3,)], domain=distinct, jit=False),
    Row("size-ndim", lambda x: np.sum(x) / np.size(x) * np.ndim(x), [((5,),), (RANK3,)], jit=False),
    Row("size-axis", lambda x: np.sum(x, axis=0) / np.size(x, 0) + np.size(x, axis=1), [((3, 4),)]),
    Row("size-attribute", lambda x: np.sum(x * x) / x.size, [(RANK3,)], jit=False),
]  # fmt: skip


TABLE = REDUCTIONS + STATISTICS + NORMS  # tests/test_primitives.py reads it


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_reduction(row, shapes, jit):
    check(row, shapes, jit)


# Conventions at non-differentiable points.


def norm_at_zero(x):
    return np.linalg.norm(x)


def norms_at_zero(x):
    return (
        np.linalg.norm(x, 1)
        + np.linalg.norm(x, np.inf)
        + np.linalg.norm(x, -np.inf)
        + np.linalg.norm(x, 3)
        + np.sum(np.linalg.norm(x.reshape((2, 2)), axis=1))
    )


def matrix_norms_at_zero(x):
    return (
        np.linalg.norm(x)
        + np.linalg.norm(x, "fro")
        + np.linalg.norm(x, 1)
        + np.linalg.norm(x, np.inf)
    )


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize(
    "fn, x, jit",
    [
        (norm_at_zero, np.zeros(4), True),
        (norm_at_zero, np.zeros(4), False),
        (norms_at_zero, np.zeros(4), False),
        (matrix_norms_at_zero, np.zeros((2, 3)), False),
    ],
)
def test_norms_have_derivative_zero_at_the_zero_vector(fn, x, mode, jit):
    value, grad = symdiff.value_and_grad(fn, mode=mode, jit=jit)(x)
    assert value == 0.0 and np.array_equal(grad, np.zeros_like(x))


def norm_of_rows(x):
    return np.sum(np.linalg.norm(x, axis=1))


def test_norm_at_zero_only_where_a_row_is_zero():
    """A zero row has gradient 0; the other rows are x / |x|, as away from 0."""
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    assert np.allclose(symdiff.grad(norm_of_rows, jit=False)(x), [[0.0, 0.0], [0.6, 0.8]])


def max_over_axes(x):
    return np.sum(np.max(x, axis=(0, 2)))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_max_over_tuple_axes_shares_ties_equally(mode):
    """Every tied element of one reduction gets an equal share (not nested shares)."""
    x = np.ones((2, 2, 2))
    x[1, 0, 1] = 0.0  # the first result ties among three elements, the second among four
    grad = symdiff.grad(max_over_axes, mode=mode, jit=False)(x)
    expected = np.where(x == 1.0, 1.0, 0.0)
    expected[:, 0, :] /= 3.0
    expected[:, 1, :] /= 4.0
    assert np.allclose(grad, expected)


def cumprod_sum(x):
    return np.sum(np.cumprod(x, axis=1))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_cumprod_is_exact_at_zeros(mode):
    """d/dx[k] of sum_j prod(x[:j+1]) is sum_{j>=k} prod(x[:j+1] without x[k]):
    finite, not 0/0, where x[k] (or another element) is 0."""
    x = np.array([[2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 5.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
    expected = np.zeros_like(x)
    for i, j in np.ndindex(x.shape):
        for last in range(j, x.shape[1]):
            expected[i, j] += np.prod(np.delete(x[i, : last + 1], j))
    assert np.array_equal(symdiff.grad(cumprod_sum, mode=mode, jit=False)(x), expected)


def std_all(x):
    return np.std(x, axis=(0, 1))


def test_std_of_equal_elements_has_derivative_zero_over_tuple_axes():
    assert np.array_equal(symdiff.grad(std_all, jit=False)(np.ones((2, 2))), np.zeros((2, 2)))


# The generated code.


def max_rank3(x):
    return np.sum(np.max(x, axis=1))


def test_max_along_an_axis_of_rank3_is_a_helper_of_rows():
    source = symdiff.derivative_source(max_rank3, np.ones(RANK3))
    assert "def _max_axis1_3d(x):" in source
    assert "rows = np.ascontiguousarray(x.transpose((0, 2, 1))).reshape(" in source
    assert "t0 = np.where(x == np.expand_dims(_max_axis1_3d(x), 1), 1.0, 0.0)" in source


def norm_of_vector(x):
    return np.linalg.norm(x)


def test_norm_gradient_reads_as_x_over_the_norm():
    source = symdiff.derivative_source(norm_of_vector, np.ones(3))
    body = source.split("def norm_of_vector_grad")[1]
    assert "positive = t0 > 0.0" in body and "root = math.sqrt(safe)" in body
    assert "x_bar = t1 + t1" in body


def diff_twice(x):
    return np.sum(np.sin(np.diff(x, n=2, axis=0)))


def test_diff_along_an_axis_prints_slices():
    source = symdiff.derivative_source(diff_twice, np.ones((4, 3)))
    assert "return x[1:, :] - x[:-1, :]" in source
    assert "out[1:, :] += g" in source and "out[:-1, :] -= g" in source


# Errors: the user's line, and what to write instead.


def sum_axis_out_of_range(x):
    return np.sum(x, axis=3)


def max_axis_twice(x):
    return np.sum(np.max(x, axis=(0, -3)))


def sum_no_axes(x):
    return np.sum(x, axis=())


def mean_float_axis(x):
    return np.mean(x, axis=(0, 1.5))


def norm_matrix_ord2(x):
    return np.linalg.norm(x, 2)


def norm_vector_ord0(x):
    return np.linalg.norm(x, 0)


def norm_rank3_ord(x):
    return np.linalg.norm(x, 1)


def norm_three_axes(x):
    return np.linalg.norm(x, axis=(0, 1, 2))


def average_returned(x):
    return np.average(x, returned=True)[0]


def average_weights_without_axis(x):
    return np.average(x, weights=np.ones(3))


def diff_prepend(x):
    return np.sum(np.diff(x, prepend=0.0))


def diff_negative_n(x):
    return np.sum(np.diff(x, n=-1))


def diff_of_a_number(x):
    return np.diff(x)


def cumprod_of_a_number(x):
    return np.sum(np.cumprod(x))


ERRORS = [
    (sum_axis_out_of_range, np.ones(RANK3), "axis 3 is out of range"),
    (max_axis_twice, np.ones(RANK3), "names an axis twice"),
    (sum_no_axes, np.ones(3), "axis=() reduces nothing"),
    (mean_float_axis, np.ones((2, 3)), "axis= must be an int or a tuple of ints"),
    (norm_matrix_ord2, np.ones((2, 3)), "of a matrix takes a constant ord=None"),
    (norm_vector_ord0, np.ones(3), "of a vector takes a constant ord=None"),
    (norm_rank3_ord, np.ones(RANK3), "with axis=None takes a 1-d or 2-d array"),
    (norm_three_axes, np.ones(RANK3), "takes an int or a pair of axes"),
    (average_returned, np.ones(3), "returned=True) is not supported"),
    (average_weights_without_axis, np.ones((2, 3)), "1-d along an int axis"),
    (diff_prepend, np.ones(3), "prepend=, append=) is not supported"),
    (diff_negative_n, np.ones(3), "takes a constant int n >= 0"),
    (diff_of_a_number, 2.0, "np.diff needs an array of rank 1 or more"),
    (cumprod_of_a_number, 2.0, "np.cumprod needs an array"),
]


@pytest.mark.parametrize("fn, x, message", ERRORS, ids=[e[0].__name__ for e in ERRORS])
def test_bad_input_is_a_user_error_at_the_call(fn, x, message):
    with pytest.raises(symdiff.SymDiffError) as info:
        symdiff.grad(fn, jit=False)(x)
    text = str(info.value)
    assert message in text, text
    line = fn.__code__.co_firstlineno + 1
    assert f"test_numpy_reductions.py:{line}:" in text, text
    assert "symdiff/library" not in text and "Traceback" not in text


def reductions_for_sympy(x):
    return np.sum(np.max(x, axis=(0, 2), keepdims=True) * np.prod(x, axis=(1, 2)).sum()) + np.sum(
        np.cumprod(x, axis=1)
    )


def statistics_for_sympy(x):
    return np.linalg.norm(x) + np.sum(np.diff(x, axis=0) ** 2) + np.sum(np.var(x, axis=(0, 1)))


@pytest.mark.parametrize("fn", [reductions_for_sympy, statistics_for_sympy])
def test_check_grad_agrees_with_sympy(fn):
    x = np.random.default_rng(0).standard_normal((2, 2, 2)).round(2)
    report = symdiff.check_grad(fn, x, jit=False)
    assert report.ok and "vs SymPy" in str(report), report
