"""Integer-array and mask indexing, np.take, np.take_along_axis, np.sort and
np.argsort (``primitives.indexing``, ``frontend.fancy``, ``library.indexing``):
every form as users write it, both modes, plain and compiled, against NumPy
and finite differences (``numpy_table``); repeated indices, the errors, and
the softmax cross-entropy gradient's code."""

import numpy as np
import pytest
import scipy.special

import symdiff

from .numpy_table import Row, check, distinct, normal, params


def indices(size):
    """Ints in [-size, size): negative ones count from the end, and with more
    draws than ``size`` some repeat (their adjoints must accumulate)."""

    def sample(rng, shape):
        return rng.integers(-size, size, shape)

    return sample


def positions(size):
    """Ints in [0, size) (np.take_along_axis's broadcasting tests)."""
    return lambda rng, shape: rng.integers(0, size, shape)


def mask(rng, shape):
    return rng.uniform(size=shape) < 0.6


def sorted_along(axis):
    """A permutation along ``axis`` of an array's shape: argsort of noise."""
    return lambda rng, shape: np.argsort(rng.uniform(size=shape), axis=axis)


I5 = indices(5)

TABLE = [
    Row("rows", lambda x, ids: x[ids], [((5,), (7,)), ((5, 3), (7,)), ((5, 3, 2), (2, 3))], domain=(normal, I5)),
    Row("list", lambda x: x[[0, 2, 2, -1]], [((4,),), ((4, 3),)]),
    Row("columns", lambda x, ids: x[:, ids], [((3, 5), (6,)), ((2, 5, 3), (2, 2))], domain=(normal, I5)),
    Row("pairs", lambda x, rows, cols: x[rows, cols], [((5, 4), (6,), (6,)), ((5, 4, 2), (3, 1), (1, 4))], domain=(normal, I5, indices(4))),
    Row("arange-labels", lambda logp, labels: logp[np.arange(logp.shape[0]), labels], [((6, 4), (6,))], domain=(normal, indices(4))),
    Row("int-then-array", lambda x, ids: x[1, ids], [((3, 5), (4,))], domain=(normal, I5)),
    Row("array-then-int", lambda x, ids: x[ids, 1], [((5, 3), (4,))], domain=(normal, I5)),
    Row("slice-then-array", lambda x, ids: x[1:3, ids], [((4, 5), (3,))], domain=(normal, I5)),
    Row("array-apart-from-int", lambda x, ids: x[ids, :, 0], [((5, 3, 2), (4,))], domain=(normal, I5)),
    Row("embedding", lambda E, ids: np.tanh(E[ids]).sum(axis=1), [((5, 3), (2, 4))], domain=(normal, I5)),
    Row("by-argsort", lambda x: x[np.argsort(x)] * np.arange(6), [((6,),)], domain=distinct),
    Row("mask", lambda x: x[x > 0.2], [((6,),), ((3, 4),), ((2, 3, 2),)]),
    Row("mask-rows", lambda x, keep: x[keep], [((5, 3), (5,))], domain=(normal, mask)),
    Row("mask-constant", lambda x: x[np.arange(4) > 1], [((4,),), ((4, 2),)]),
    Row("mask-columns", lambda x: x[:, x[0] > 0], [((3, 5),)]),
    Row("take", lambda x, ids: np.take(x, ids), [((3, 4), (5,)), ((4, 3), (2, 3))], domain=(normal, indices(12))),
    Row("take-axis1", lambda x, ids: np.take(x, ids, axis=1), [((3, 5), (6,)), ((2, 5, 2), (2, 3))], domain=(normal, I5)),
    Row("take-axis0-positional", lambda x, ids: np.take(x, ids, 0), [((5, 3), (2, 4))], domain=(normal, I5)),
    Row("take-method", lambda x, ids: x.take(ids, axis=-1), [((3, 5), (6,))], domain=(normal, I5)),
    Row("take_along-axis1", lambda x, ids: np.take_along_axis(x, ids, axis=1), [((3, 4), (3, 6)), ((2, 4, 3), (2, 5, 3))], domain=(normal, indices(4))),
    Row("take_along-axis0", lambda x, ids: np.take_along_axis(x, ids, 0), [((4, 3), (5, 3))], domain=(normal, indices(4))),
    Row("take_along-broadcast", lambda x, ids: np.take_along_axis(x, ids, axis=-1), [((3, 4), (1, 6))], domain=(normal, positions(4))),
    Row("take_along-None", lambda x, ids: np.take_along_axis(x, ids, axis=None), [((3, 4), (7,))], domain=(normal, indices(12))),
    Row("take_along-permutation", lambda x, p: np.take_along_axis(x, p, axis=1), [((3, 5), (3, 5))], domain=(normal, sorted_along(1))),
    Row("sort", lambda x: np.sort(x), [((6,),), ((3, 4),), ((2, 3, 4),)], domain=distinct),
    Row("sort-axis0", lambda x: np.sort(x, axis=0), [((4, 3),), ((3, 2, 2),)], domain=distinct),
    Row("sort-None", lambda x: np.sort(x, axis=None), [((3, 4),)], domain=distinct),
    Row("sort-kind", lambda x: np.sort(x, -1, kind="stable"), [((5,),)], domain=distinct, jit=False),
]  # fmt: skip


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_indexing_function(row, shapes, jit):
    check(row, shapes, jit)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("jit", [False, True])
def test_repeated_indices_accumulate(mode, jit):
    """x[[0, 0, 2, 0]]: the adjoint of x[0] is the sum of its three reads
    (np.add.at), for one index array and for two."""

    def f(x, ids):
        return np.sum(x[ids] * np.array([1.0, 2.0, 3.0, 4.0]))

    def f2(x, ids, cols):
        return np.sum(x[ids, cols] * np.array([1.0, 2.0, 3.0, 4.0]))

    ids, cols = np.array([0, 0, 2, 0]), np.array([1, 1, 0, 1])
    g = symdiff.grad(f, mode=mode, jit=jit)(np.arange(5.0), ids)
    assert np.array_equal(g, [1 + 2 + 4, 0, 3, 0, 0])
    g2 = symdiff.grad(f2, mode=mode, jit=jit)(np.ones((5, 2)), ids, cols)
    assert np.array_equal(g2, [[0, 1 + 2 + 4], [0, 0], [3, 0], [0, 0], [0, 0]])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("jit", [False, True])
def test_sort_ties_take_argsorts_order(mode, jit):
    """Tied values: each sorted position takes the derivative of the element
    the stable argsort put there (the first of two ties first)."""

    def f(x):
        return np.sum(np.sort(x) * np.array([1.0, 10.0, 100.0]))

    g = symdiff.grad(f, mode=mode, jit=jit)(np.array([2.0, 1.0, 2.0]))
    assert np.array_equal(g, [10.0, 1.0, 100.0])


@pytest.mark.parametrize("jit", [False, True])
def test_argsort_is_an_int_result_with_no_derivative(jit):
    def f(x):
        return np.sum(x * np.argsort(x, axis=0))

    x = np.array([[0.3, -1.0], [0.1, 2.0], [-0.5, 0.0]])
    g = symdiff.grad(f, jit=jit)(x)
    assert np.array_equal(g, np.argsort(x, axis=0, kind="stable").astype(float))


@pytest.mark.parametrize("jit", [False, True])
def test_an_index_out_of_bounds_is_numpys_index_error_at_the_users_line(jit):
    def f(x, ids):
        return np.sum(x[ids])

    with pytest.raises(symdiff.SymDiffError, match="IndexError: index 3 is out of bounds"):
        symdiff.grad(f, jit=jit)(np.ones(3), np.array([0, 3]))
    with pytest.raises(symdiff.SymDiffError, match="IndexError: index -4 is out of bounds"):
        symdiff.grad(f, jit=jit)(np.ones(3), np.array([-4]))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_reads_out_of_bounds_raise_where_numba_checks_no_bounds(mode):
    """x[ids] and np.take_along_axis print as Numba's own indexing, which reads
    past the array where bounds checks are off (every other index proven):
    the index arrays are checked first (regression)."""

    def f(x, ids):
        return np.sum(x[ids])

    def g(x, ids):
        return np.sum(np.take_along_axis(x, ids, axis=0))

    for fn in (f, g):
        run = symdiff.value_and_grad(fn, mode=mode, jit=True)
        assert np.allclose(run(np.arange(3.0), np.array([2, -1]))[0], 4.0)
        with pytest.raises(symdiff.SymDiffError, match="out of bounds"):
            run(np.arange(3.0), np.array([1, 3]))


@pytest.mark.parametrize("jit", [False, True])
def test_a_mask_of_another_shape_is_numpys_index_error(jit):
    def f(x, keep):
        return np.sum(x[keep])

    with pytest.raises(symdiff.SymDiffError, match="IndexError: boolean index did not match"):
        symdiff.grad(f, jit=jit)(np.ones((3, 2)), np.array([True, False]))


def _fails(f, *args, match):
    with pytest.raises(symdiff.SymDiffError, match=match) as info:
        symdiff.grad(f, jit=False)(*args)
    assert "test_numpy_indexing.py" in str(info.value)  # at the user's line


def test_a_float_array_index_is_refused():
    _fails(lambda x, w: np.sum(x[w]), np.ones(3), np.ones(2), match="floats cannot be an index")


def test_writing_at_an_index_array_is_refused():
    def f(x, ids):
        y = x * 2.0
        y[ids] = 0.0
        return np.sum(y)

    _fails(f, np.ones(3), np.array([0, 1]), match="writing into an array at an index array")


def test_index_arrays_apart_are_refused():
    _fails(
        lambda x, i: np.sum(x[i, :, i]),
        np.ones((3, 3, 3)),
        np.array([0, 1]),
        match="separated by a slice",
    )
    _fails(
        lambda x, i: np.sum(x[0, :, i]),
        np.ones((3, 3, 3)),
        np.array([0, 1]),
        match="apart from each other",
    )


def test_a_mask_of_some_axes_is_refused():
    _fails(
        lambda x: np.sum(x[x[:, :, 0] > 0]),
        np.ones((2, 3, 4)),
        match="rank-2 mask indexing part of a rank-3 array",
    )


def test_a_list_of_floats_is_refused():
    _fails(lambda x: np.sum(x[[0.0, 1.0]]), np.ones(3), match="list of ints")


def test_sort_with_order_is_refused():
    _fails(lambda x: np.sum(np.sort(x, order="f")), np.ones(3), match="order=")


def test_take_of_one_int_is_refused():
    _fails(lambda x: np.take(x, 1), np.ones(3), match="at least one axis")


def softmax_loss(W, X, labels):
    z = X @ W
    logp = z - scipy.special.logsumexp(z, axis=1, keepdims=True)
    return -np.mean(logp[np.arange(X.shape[0]), labels])


def test_softmax_cross_entropy_gradient_reads_like_the_textbook():
    """No max mask, no log-probabilities computed, -1/n scattered at the
    labels, the softmax's terms, then X.T @ ...; equal to (softmax - onehot) / n."""
    rng = np.random.default_rng(0)
    W, X, labels = rng.normal(size=(4, 3)), rng.normal(size=(6, 4)), np.array([0, 2, 1, 1, 0, 2])
    source = symdiff.derivative_source(softmax_loss, W, X, labels)
    body = source.split("def softmax_loss_grad")[1]
    assert "==" not in body and "np.where" not in body  # no max mask
    assert "logp =" not in body and "_gather" not in body  # the loss's value is not needed
    assert "np.arange(X.shape[0])" in body  # inline, or named by the definition of np.arange
    scatter = "_scatter_add_axes01_of_2d_number(-t0, z, "
    assert scatter in body and body.split(scatter)[1].split("\n")[0].endswith(", labels)")
    assert "terms = vmath.exp(z - shift)" in body
    assert body.rstrip().endswith("W_bar = X.T @ z_bar\n    return W_bar")
    z = X @ W
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    onehot = np.eye(3)[labels]
    expected = X.T @ (softmax - onehot) / len(labels)
    for jit in (False, True):
        assert np.allclose(symdiff.grad(softmax_loss, jit=jit)(W, X, labels), expected)
