"""Shapes and views (``symdiff.library.shapes``, ``symdiff.primitives.shapes``,
None and ``...`` in indices): each function as users call it, both modes,
plain and compiled, against NumPy and finite differences (``numpy_table``),
the generated code of the common forms, and the errors."""

import numpy as np
import pytest

import symdiff

from .numpy_table import Row, check, normal, params

MATRICES = [((3, 4),), ((2, 3, 4),)]

TABLE = [
    # transpose, swapaxes, moveaxis
    Row("transpose", lambda x: np.transpose(x), [((3, 4),), ((5,),), ((2, 3, 4),)]),
    Row("transpose-axes", lambda x: np.transpose(x, (1, 0, 2)), [((2, 3, 4),)]),
    Row("transpose-axes-list", lambda x: np.transpose(x, axes=[2, 0, 1]), [((2, 3, 4),)], jit=False),
    Row("transpose-negative", lambda x: np.transpose(x, (0, -1, 1)), [((2, 3, 4),)], jit=False),
    Row("transpose-method-star", lambda x: x.transpose(1, 2, 0), [((2, 3, 4),)]),
    Row("transpose-method-tuple", lambda x: x.transpose((2, 1, 0, 3)), [((2, 3, 4, 2),)], jit=False),
    Row("transpose-method", lambda x: x.transpose() * 2.0, [((3, 4),)], jit=False),
    Row("swapaxes", lambda x: np.swapaxes(x, 0, -1), [((2, 3, 4),), ((3, 4),)]),
    Row("swapaxes-method", lambda x: x.swapaxes(-1, -2), [((2, 3, 4),)], jit=False),
    Row("moveaxis", lambda x: np.moveaxis(x, 0, -1), [((2, 3, 4),), ((3, 4),)]),
    Row("moveaxis-tuple", lambda x: np.moveaxis(x, (0, 1), (2, 0)), [((2, 3, 4),)], jit=False),
    # new and removed axes
    Row("expand_dims", lambda x: np.expand_dims(x, 1), [((3, 4),), ((5,),)]),
    Row("expand_dims-negative", lambda x: np.expand_dims(x, -1), [((3, 4),)], jit=False),
    Row("expand_dims-tuple", lambda x: np.expand_dims(x, (0, 2)), [((3, 4),)], jit=False),
    Row("expand_dims-number", lambda x: np.expand_dims(x, 0) * np.ones(3), [((),)], jit=False),
    Row("squeeze", lambda x: np.squeeze(x), [((3, 1, 4),), ((1, 4),), ((1, 1),)]),
    Row("squeeze-axis", lambda x: np.squeeze(x, axis=0), [((1, 3, 1),)]),
    Row("squeeze-tuple", lambda x: np.squeeze(x, (0, -1)), [((1, 3, 1),)], jit=False),
    Row("squeeze-method", lambda x: x.squeeze(), [((3, 1),)], jit=False),
    Row("squeeze-method-axis", lambda x: x.squeeze(1), [((3, 1, 1),)], jit=False),
    Row("index-none", lambda x: x[:, None] * x[None], [((3,),), ((3, 2),)]),
    Row("index-none-first", lambda x: x[None, :, :], [((3, 2),)], jit=False),
    Row("index-newaxis", lambda x: x[np.newaxis, :] + x[:, np.newaxis], [((4,),)]),
    Row("index-ellipsis", lambda x: x[..., 0], [((3, 4),), ((2, 3, 4),)]),
    Row("index-ellipsis-none", lambda x: x[..., None], [((3, 4),)]),
    Row("index-ellipsis-middle", lambda x: x[1, ..., 1:3], [((3, 2, 4),)], jit=False),
    Row("index-int-none", lambda x: x[1, None, :, None], [((3, 2, 4),)], jit=False),
    Row("atleast_1d", lambda x: np.atleast_1d(x), [((),), ((3,),)]),
    Row("atleast_2d", lambda x: np.atleast_2d(x), [((),), ((3,),), ((3, 2),)]),
    Row("atleast_3d", lambda x: np.atleast_3d(x), [((),), ((3,),), ((3, 2),), ((2, 3, 2),)]),
    Row("atleast_2d-several", lambda x, y: np.atleast_2d(x, y)[0] @ np.atleast_2d(x, y)[1].T, [((3,), (3,))], jit=False),
    # reshapes
    Row("reshape-minus-one-first", lambda x: np.reshape(x, (-1, 2)), [((3, 4),)]),
    Row("reshape-minus-one-last", lambda x: np.reshape(x, (2, -1)), [((3, 4),), ((2, 3, 2),)], jit=False),
    Row("reshape-minus-one-middle", lambda x: x.reshape(2, -1, 3), [((2, 3, 2, 3),)]),
    Row("reshape-minus-one-flat", lambda x: x.T.reshape(-1), [((3, 4),)]),
    # broadcasting and repetition
    Row("broadcast_to", lambda x: np.broadcast_to(x, (2, 3, 4)), [((4,),), ((3, 1),), ((),)]),
    Row("broadcast_to-shape", lambda x, y: np.broadcast_to(x, y.shape) * y, [((4,), (3, 4))], argnums=(0,)),
    Row("tile", lambda x: np.tile(x, 3), [((4,),), ((2, 3),)]),
    Row("tile-tuple", lambda x: np.tile(x, (2, 1, 3)), [((2, 3),)], jit=False),
    Row("tile-number", lambda x: np.tile(x, (2, 2)), [((),)], jit=False),
    Row("repeat", lambda x: np.repeat(x, 2), [((4,),), ((2, 3),)]),
    Row("repeat-axis", lambda x: np.repeat(x, 3, axis=1), [((2, 3),), ((2, 3, 2),)]),
    Row("repeat-method", lambda x: x.repeat(2, -1), [((2, 3),)], jit=False),
    # flips and rolls
    Row("flip", lambda x: np.flip(x), [((5,),), ((3, 4),)]),
    Row("flip-axis", lambda x: np.flip(x, 1), [((3, 4),), ((2, 3, 4),)]),
    Row("flip-tuple", lambda x: np.flip(x, axis=(0, 2)), [((2, 3, 4),)]),
    Row("fliplr", lambda x: np.fliplr(x), [((3, 4),), ((2, 3, 4),)]),
    Row("flipud", lambda x: np.flipud(x), [((5,),), ((3, 4),)]),
    Row("roll", lambda x: np.roll(x, 2), [((5,),), ((3, 4),)]),
    Row("roll-negative", lambda x: np.roll(x, -1, axis=0), [((5,),)], jit=False),
    Row("roll-axis", lambda x: np.roll(x, 1, axis=1), [((3, 4),), ((2, 3, 4),)]),
    Row("roll-longer", lambda x: np.roll(x, 7, axis=-1), [((3, 4),)], jit=False),
    Row("roll-tuple", lambda x: np.roll(x, (1, -2), axis=(0, 1)), [((3, 4),)]),
    Row("roll-tuple-one-shift", lambda x: np.roll(x, 1, axis=(0, 2)), [((2, 3, 4),)], jit=False),
    # diagonals and triangles
    Row("diag-vector", lambda x: np.diag(x), [((4,),)]),
    Row("diag-vector-k", lambda x: np.diag(x, 1), [((3,),)]),
    Row("diag-vector-negative-k", lambda x: np.diag(x, k=-2), [((3,),)], jit=False),
    Row("diag-matrix", lambda x: np.diag(x), [((3, 4),), ((4, 3),)]),
    Row("diag-matrix-k", lambda x: np.diag(x, -1), [((3, 4),)]),
    Row("diagonal", lambda x: np.diagonal(x), [((3, 4),), ((2, 3, 4),)]),
    Row("diagonal-offset", lambda x: np.diagonal(x, 1), [((4, 4),)]),
    Row("diagonal-axes", lambda x: np.diagonal(x, offset=-1, axis1=1, axis2=2), [((2, 3, 4),)]),
    Row("diagonal-axes-swapped", lambda x: np.diagonal(x, 1, 2, 0), [((3, 2, 4),)], jit=False),
    Row("diagonal-method", lambda x: x.diagonal(), [((3, 3),)], jit=False),
    Row("trace", lambda x: np.trace(x), [((3, 3),), ((3, 4),), ((2, 3, 3),)]),
    Row("trace-offset", lambda x: np.trace(x, 1), [((3, 4),)], jit=False),
    Row("trace-method", lambda x: x.trace(offset=-1), [((4, 3),)], jit=False),
    Row("tril", lambda x: np.tril(x), [((3, 4),), ((2, 3, 3),)]),
    Row("tril-k", lambda x: np.tril(x, k=1), [((4, 3),)], jit=False),
    Row("triu", lambda x: np.triu(x), [((3, 3),), ((2, 4, 3),)]),
    Row("triu-k", lambda x: np.triu(x, -1), [((3, 4),)], jit=False),
    # padding
    Row("pad", lambda x: np.pad(x, 1), [((3,),), ((3, 4),)]),
    Row("pad-pair", lambda x: np.pad(x, (1, 2)), [((3, 4),)], jit=False),
    Row("pad-per-axis", lambda x: np.pad(x, ((0, 1), (2, 0))), [((3, 4),)]),
    Row("pad-constant", lambda x, c: np.pad(x, ((1, 1), (0, 2)), constant_values=c), [((3, 4), ())]),
    Row("pad-mode", lambda x: np.pad(x, [(1, 0)], mode="constant"), [((2, 3),)], jit=False),
]  # fmt: skip


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_shape_function(row, shapes, jit):
    check(row, shapes, jit)
