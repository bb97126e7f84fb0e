"""Shapes and views (``symdiff.library.shapes``, ``symdiff.primitives.shapes``,
None and ``...`` in indices): each function as users call it, both modes,
plain and compiled, against NumPy and finite differences (``numpy_table``),
the generated code of the common forms, and the errors."""

import numpy as np
import pytest

import symdiff

from .numpy_table import Row, check, params

TABLE = [
    # transpose, swapaxes, moveaxis
    Row("transpose", lambda x: np.transpose(x), [((3, 4),), ((5,),), ((2, 3, 4),)], jit=False),
    Row("transpose-axes", lambda x: np.transpose(x, (1, 0, 2)), [((2, 3, 4),)]),
    Row("transpose-axes-list", lambda x: np.transpose(x, axes=[2, 0, 1]), [((2, 3, 4),)], jit=False),
    Row("transpose-negative", lambda x: np.transpose(x, (0, -1, 1)), [((2, 3, 4),)], jit=False),
    Row("transpose-method-star", lambda x: x.transpose(1, 2, 0), [((2, 3, 4),)], jit=False),
    Row("transpose-method-tuple", lambda x: x.transpose((2, 1, 0, 3)), [((2, 3, 4, 2),)], jit=False),
    Row("transpose-method", lambda x: x.transpose() * 2.0, [((3, 4),)], jit=False),
    Row("swapaxes", lambda x: np.swapaxes(x, 0, -1), [((2, 3, 4),), ((3, 4),)]),
    Row("swapaxes-method", lambda x: x.swapaxes(-1, -2), [((2, 3, 4),)], jit=False),
    Row("moveaxis", lambda x: np.moveaxis(x, 0, -1), [((2, 3, 4),), ((3, 4),)], jit=False),
    Row("moveaxis-tuple", lambda x: np.moveaxis(x, (0, 1), (2, 0)), [((2, 3, 4),)], jit=False),
    # new and removed axes
    Row("expand_dims", lambda x: np.expand_dims(x, 1), [((3, 4),), ((5,),)]),
    Row("expand_dims-negative", lambda x: np.expand_dims(x, -1), [((3, 4),)], jit=False),
    Row("expand_dims-tuple", lambda x: np.expand_dims(x, (0, 2)), [((3, 4),)], jit=False),
    Row("expand_dims-number", lambda x: np.expand_dims(x, 0) * np.ones(3), [((),)], jit=False),
    Row("squeeze", lambda x: np.squeeze(x), [((3, 1, 4),), ((1, 4),), ((1, 1),)], jit=False),
    Row("squeeze-axis", lambda x: np.squeeze(x, axis=0), [((1, 3, 1),)]),
    Row("squeeze-tuple", lambda x: np.squeeze(x, (0, -1)), [((1, 3, 1),)], jit=False),
    Row("squeeze-method", lambda x: x.squeeze(), [((3, 1),)], jit=False),
    Row("squeeze-method-axis", lambda x: x.squeeze(1), [((3, 1, 1),)], jit=False),
    Row("index-none", lambda x: x[:, None] * x[None], [((3,),), ((3, 2),)]),
    Row("index-none-first", lambda x: x[None, :, :], [((3, 2),)], jit=False),
    Row("index-newaxis", lambda x: x[np.newaxis, :] + x[:, np.newaxis], [((4,),)], jit=False),
    Row("index-ellipsis", lambda x: x[..., 0], [((3, 4),), ((2, 3, 4),)]),
    Row("index-ellipsis-none", lambda x: x[..., None], [((3, 4),)], jit=False),
    Row("index-ellipsis-middle", lambda x: x[1, ..., 1:3], [((3, 2, 4),)], jit=False),
    Row("index-int-none", lambda x: x[1, None, :, None], [((3, 2, 4),)], jit=False),
    Row("atleast_1d", lambda x: np.atleast_1d(x), [((),), ((3,),)], jit=False),
    Row("atleast_2d", lambda x: np.atleast_2d(x), [((),), ((3,),), ((3, 2),)], jit=False),
    Row("atleast_3d", lambda x: np.atleast_3d(x), [((),), ((3,),), ((3, 2),), ((2, 3, 2),)], jit=False),
    Row("atleast_2d-several", lambda x, y: np.atleast_2d(x, y)[0] @ np.atleast_2d(x, y)[1].T, [((3,), (3,))], jit=False),
    # reshapes
    Row("reshape-minus-one-first", lambda x: np.reshape(x, (-1, 2)), [((3, 4),)], jit=False),
    Row("reshape-minus-one-last", lambda x: np.reshape(x, (2, -1)), [((3, 4),), ((2, 3, 2),)], jit=False),
    Row("reshape-minus-one-middle", lambda x: x.reshape(2, -1, 3), [((2, 3, 2, 3),)]),
    Row("reshape-minus-one-flat", lambda x: x.T.reshape(-1), [((3, 4),)], jit=False),
    # broadcasting and repetition
    Row("broadcast_to", lambda x: np.broadcast_to(x, (2, 3, 4)), [((4,),), ((3, 1),), ((),)]),
    Row("broadcast_to-shape", lambda x, y: np.broadcast_to(x, y.shape) * y, [((4,), (3, 4))], argnums=(0,), jit=False),
    Row("tile", lambda x: np.tile(x, 3), [((4,),), ((2, 3),)]),
    Row("tile-tuple", lambda x: np.tile(x, (2, 1, 3)), [((2, 3),)], jit=False),
    Row("tile-number", lambda x: np.tile(x, (2, 2)), [((),)], jit=False),
    Row("repeat", lambda x: np.repeat(x, 2), [((4,),), ((2, 3),)], jit=False),
    Row("repeat-axis", lambda x: np.repeat(x, 3, axis=1), [((2, 3),), ((2, 3, 2),)]),
    Row("repeat-method", lambda x: x.repeat(2, -1), [((2, 3),)], jit=False),
    # flips and rolls
    Row("flip", lambda x: np.flip(x), [((5,),), ((3, 4),)], jit=False),
    Row("flip-axis", lambda x: np.flip(x, 1), [((3, 4),), ((2, 3, 4),)], jit=False),
    Row("flip-tuple", lambda x: np.flip(x, axis=(0, 2)), [((2, 3, 4),)]),
    Row("fliplr", lambda x: np.fliplr(x), [((3, 4),), ((2, 3, 4),)], jit=False),
    Row("flipud", lambda x: np.flipud(x), [((5,),), ((3, 4),)], jit=False),
    Row("roll", lambda x: np.roll(x, 2), [((5,),), ((3, 4),)], jit=False),
    Row("roll-negative", lambda x: np.roll(x, -1, axis=0), [((5,),)], jit=False),
    Row("roll-axis", lambda x: np.roll(x, 1, axis=1), [((3, 4),), ((2, 3, 4),)], jit=False),
    Row("roll-longer", lambda x: np.roll(x, 7, axis=-1), [((3, 4),)], jit=False),
    Row("roll-tuple", lambda x: np.roll(x, (1, -2), axis=(0, 1)), [((3, 4),)]),
    Row("roll-same-axis-twice", lambda x: np.roll(x, (1, 2), axis=(1, 1)), [((3, 4),)], jit=False),
    Row("swapaxes-same", lambda x: np.swapaxes(x, 1, -1), [((3, 4),)], jit=False),
    Row("roll-tuple-one-shift", lambda x: np.roll(x, 1, axis=(0, 2)), [((2, 3, 4),)], jit=False),
    # diagonals and triangles
    Row("diag-vector", lambda x: np.diag(x), [((4,),)], jit=False),
    Row("diag-vector-k", lambda x: np.diag(x, 1), [((3,),)]),
    Row("diag-vector-negative-k", lambda x: np.diag(x, k=-2), [((3,),)], jit=False),
    Row("diag-matrix", lambda x: np.diag(x), [((3, 4),), ((4, 3),)], jit=False),
    Row("diag-matrix-k", lambda x: np.diag(x, -1), [((3, 4),)]),
    Row("diagonal", lambda x: np.diagonal(x), [((3, 4),), ((2, 3, 4),)], jit=False),
    Row("diagonal-offset", lambda x: np.diagonal(x, 1), [((4, 4),)], jit=False),
    Row("diagonal-axes", lambda x: np.diagonal(x, offset=-1, axis1=1, axis2=2), [((2, 3, 4),)]),
    Row("diagonal-axes-swapped", lambda x: np.diagonal(x, 1, 2, 0), [((3, 2, 4),)], jit=False),
    Row("diagonal-method", lambda x: x.diagonal(), [((3, 3),)], jit=False),
    Row("trace", lambda x: np.trace(x), [((3, 3),), ((3, 4),), ((2, 3, 3),)], jit=False),
    Row("trace-offset", lambda x: np.trace(x, 1), [((3, 4),)], jit=False),
    Row("trace-method", lambda x: x.trace(offset=-1), [((4, 3),)], jit=False),
    Row("tril", lambda x: np.tril(x), [((3, 4),), ((2, 3, 3),)]),
    Row("tril-k", lambda x: np.tril(x, k=1), [((4, 3),)], jit=False),
    Row("triu", lambda x: np.triu(x), [((3, 3),), ((2, 4, 3),)], jit=False),
    Row("triu-k", lambda x: np.triu(x, -1), [((3, 4),)], jit=False),
    # padding
    Row("pad", lambda x: np.pad(x, 1), [((3,),), ((3, 4),)], jit=False),
    Row("pad-pair", lambda x: np.pad(x, (1, 2)), [((3, 4),)], jit=False),
    Row("pad-per-axis", lambda x: np.pad(x, ((0, 1), (2, 0))), [((3, 4),)], jit=False),
    Row("pad-constant", lambda x, c: np.pad(x, ((1, 1), (0, 2)), constant_values=c), [((3, 4), ())]),
    Row("pad-mode", lambda x: np.pad(x, [(1, 0)], mode="constant"), [((2, 3),)], jit=False),
]  # fmt: skip


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_shape_function(row, shapes, jit):
    check(row, shapes, jit)


def _error(fn, *args):
    with pytest.raises(symdiff.SymDiffError) as info:
        symdiff.grad(fn, jit=False)(*args)
    return str(info.value)


M, V, T = np.ones((3, 4)), np.ones(4), np.ones((2, 3, 4))

ERRORS = [
    ("squeeze-not-one", lambda x: np.sum(np.squeeze(x, axis=0)), M, "axis not known to have size 1"),
    ("squeeze-maybe-one", lambda x: np.sum(np.squeeze(x[:, 1:2])), M, "may or may not have size 1"),
    ("squeeze-axis-range", lambda x: np.sum(np.squeeze(x, 3)), M, "out of range"),
    ("transpose-not-an-order", lambda x: np.sum(np.transpose(x, (0, 0, 1))), T, "not an order of the 3 axes"),
    ("transpose-too-few", lambda x: np.sum(np.transpose(x, (1, 0))), T, "not an order of the 3 axes"),
    ("swapaxes-range", lambda x: np.sum(np.swapaxes(x, 0, 2)), M, "out of range"),
    ("moveaxis-counts", lambda x: np.sum(np.moveaxis(x, (0, 1), 2)), T, "as many destinations as sources"),
    ("repeat-array", lambda x: np.sum(np.repeat(x, np.array([1, 2, 1, 2]))), V, "array of repeats"),
    ("roll-counts", lambda x: np.sum(np.roll(x, (1, 2, 3), axis=(0, 1))), M, "one shift per axis"),
    ("pad-mode", lambda x: np.sum(np.pad(x, 1, mode="reflect")), M, "mode='constant' only"),
    ("pad-constants", lambda x: np.sum(np.pad(x, 1, constant_values=(0, 1))), M, "constant per side"),
    ("pad-pairs", lambda x: np.sum(np.pad(x, ((1, 1), (1, 1), (1, 1)))), M, "one (before, after) pair per axis"),
    ("diag-rank", lambda x: np.sum(np.diag(x)), T, "rank-1 or rank-2"),
    ("diagonal-rank", lambda x: np.sum(np.diagonal(x)), V, "rank 2 at least"),
    ("diagonal-same-axes", lambda x: np.sum(np.diagonal(x, 0, 1, -2)), T, "two different axes"),
    ("trace-dtype", lambda x: np.trace(x, dtype=np.float32), M, "dtype= or out="),
    ("fliplr-rank", lambda x: np.sum(np.fliplr(x)), V, "rank 2 at least"),
    ("tril-rank", lambda x: np.sum(np.tril(x)), V, "rank 2 at least"),
    ("broadcast_to-fewer", lambda x: np.sum(np.broadcast_to(x, (4,))), M, "cannot broadcast a rank-2"),
    ("flip-twice", lambda x: np.sum(np.flip(x, (0, -2))), M, "named twice"),
    ("squeeze-twice", lambda x: np.sum(np.squeeze(x, (0, 0))), np.ones((1, 3)), "named twice"),
    ("expand_dims-twice", lambda x: np.sum(np.expand_dims(x, (1, 1))), M, "named twice"),
    ("two-ellipses", lambda x: np.sum(x[..., 0, ...]), T, "single ellipsis"),
    ("ellipsis-too-many", lambda x: np.sum(x[0, 0, ..., 0]), M, "too many indices"),
]  # fmt: skip


@pytest.mark.parametrize("fn, arg, message", [pytest.param(*e[1:], id=e[0]) for e in ERRORS])
def test_bad_shapes_are_user_errors_at_the_call(fn, arg, message):
    text = _error(fn, arg)
    assert message in text and "test_numpy_shapes.py" in text
    assert "symdiff/library" not in text


def test_storing_at_a_new_axis_is_refused():
    def f(x):
        z = np.zeros((3, 1))
        z[:, None] = x
        return np.sum(z)

    assert "new axis (None)" in _error(f, np.ones(3))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_stores_with_an_ellipsis(mode):
    def f(x):
        z = np.zeros((3, 4, 2))
        z[..., 0] = x
        z[:, 1:, 1] += x[:, :3] * 2.0
        return np.sum(z**2)

    x = np.random.default_rng(0).standard_normal((3, 4))
    expected = 2 * x
    expected[:, :3] += 8 * x[:, :3]
    assert np.allclose(symdiff.grad(f, mode=mode, jit=False)(x), expected)


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_views_in_loops_and_copies(mode, jit):
    """Broadcast and transposed views read in a loop, a copy of a broadcast
    written into: the adjoints never write into a view of an input."""

    def f(x):
        y = np.broadcast_to(x, (3, 4)).copy()
        y[0] = 0.0
        t = np.transpose(y[None], (0, 2, 1))
        s = 0.0
        for i in range(3):
            s = s + np.sum(t[0, :, i] * t[0, :, i]) * i
        return s + np.sum(y.T[..., 0, None] * x)

    x = np.array([0.5, -1.0, 2.0, 1.5])
    assert np.allclose(symdiff.grad(f, mode=mode, jit=jit)(x), _finite(f, x), atol=1e-6)


def _finite(f, x, h=1e-6):
    out = np.empty_like(x)
    for k in range(x.size):
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        out[k] = (f(up) - f(down)) / (2 * h)
    return out


def test_tiles_and_repeats_sum_their_copies_adjoints():
    """An element copied n times gets the sum of the n copies' adjoints."""

    def f(x):
        return np.sum(np.tile(x, (2, 3)) * 1.0) + np.sum(np.repeat(x, 2, axis=0) * 2.0)

    assert np.allclose(symdiff.grad(f, jit=False)(np.ones((2, 2))), 6.0 + 4.0)


GENERATED = [
    (lambda x: np.sum(np.transpose(x, (1, 0, 2)) * 2.0), T, "x_bar = np.transpose(np.full_like"),
    (
        lambda x: np.sum(np.tril(x, 1) * np.tril(x, 1)),
        M,
        "t0 = _tril(_tril(x, 1), 1)\n    x_bar = t0 + t0",  # one pass each, computed once
    ),
    (lambda x: np.sum(np.flip(x, (0, 1)) ** 2), M, "[::-1]"),
    (lambda x: np.sum(x[:, None] * x[None, :]), V, "np.expand_dims(x, 1)"),
    (lambda x: np.sum(np.squeeze(x, 1) * 2.0), np.ones((3, 1)), "np.expand_dims("),
    (lambda x: np.trace(x), M, "_onto_diagonal_2d("),
    (lambda x: np.sum(np.diagonal(x, 1, 1, 2) ** 2), T, "_diagonal(x, 1)"),
]


@pytest.mark.parametrize("fn, arg, text", GENERATED)
def test_generated_code_reads_as_numpy(fn, arg, text):
    assert text in symdiff.derivative_source(fn, arg)
