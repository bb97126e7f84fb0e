"""One-per-row reads (``optimize.rows``): ``x[np.arange(n), idx]`` picks one
element of each row, so the row sum of its adjoint is the cotangent; every
other index keeps the row sum of the scatter.  A table of the index forms,
recognised or not (read from the printed gradient), each checked in both
modes against finite differences (``numpy_table``); and the softmax
cross-entropy gradient's code."""

import re

import numpy as np
import pytest
import scipy.special

import symdiff
from symdiff.ir import Const, Op, Var
from symdiff.primitives.algebra import simplify_op

from .numpy_table import Row, check, distinct, normal, params


def log_probs(x, axis):
    return x - scipy.special.logsumexp(x, axis=axis, keepdims=True)


def labels(classes):
    return lambda rng, shape: rng.integers(0, classes, shape)


def permutation(rng, shape):
    return rng.permutation(shape[0])


L4 = labels(4)

# (row, recognised): every row's function returns a number
TABLE = [
    (Row("rows", lambda x, i, w: np.sum(w * log_probs(x, 1)[np.arange(x.shape[0]), i]), [((6, 4), (6,), (6,))], domain=(normal, L4, normal), jit=False), True),
    (Row("rows-mean", lambda x, i: -np.mean(log_probs(x, 1)[np.arange(x.shape[0]), i]), [((6, 4), (6,))], domain=(normal, L4)), True),
    (Row("columns", lambda x, i: -np.mean(log_probs(x, 0)[i, np.arange(x.shape[1])]), [((4, 6), (6,))], domain=(normal, L4), jit=False), True),
    (Row("rank3", lambda x, i, w: np.sum(w * log_probs(x, 1)[np.arange(x.shape[0]), i]), [((5, 4, 2), (5,), (5, 2))], domain=(normal, L4, normal), jit=False), True),
    (Row("after-a-slice", lambda x, i: -np.mean(log_probs(x, 2)[:, np.arange(x.shape[1]), i]), [((2, 5, 4), (5,))], domain=(normal, L4), jit=False), True),
    (Row("one-label", lambda x, i, w: np.sum(w * log_probs(x, 1)[np.arange(x.shape[0]), i]), [((6, 4), (1,), (6,))], domain=(normal, L4, normal), jit=False), True),
    (Row("arange-shorter", lambda x, i: -np.mean(log_probs(x, 1)[np.arange(x.shape[0] - 1), i]), [((6, 4), (5,))], domain=(normal, L4), jit=False), False),
    (Row("arange-from-1", lambda x, i: -np.mean(log_probs(x, 1)[np.arange(1, x.shape[0]), i]), [((6, 4), (5,))], domain=(normal, L4), jit=False), False),
    (Row("arange-of-labels", lambda x, i: -np.mean(log_probs(x, 1)[np.arange(i.shape[0]), i]), [((6, 4), (6,))], domain=(normal, L4), jit=False), False),
    (Row("permuted", lambda x, p, i: -np.mean(log_probs(x, 1)[p, i]), [((6, 4), (6,), (6,))], domain=(normal, permutation, L4), jit=False), False),
    (Row("repeated-rows", lambda x, i: -np.mean(log_probs(x, 1)[[0, 0, 2, 3, 4, 5], i]), [((6, 4), (6,))], domain=(normal, L4), jit=False), False),
]  # fmt: skip


def row_summed(source: str) -> bool:
    """Does the gradient sum a scattered array (``np.sum(-logp_bar, axis=1)``)?"""
    scattered = re.findall(r"^ *(\w+) = _scatter_add_", source, re.MULTILINE)
    assert len(scattered) == 1, source
    return re.search(rf"np\.sum\(-?{scattered[0]}\b", source) is not None


@pytest.mark.parametrize(
    "row, recognised", [pytest.param(row, seen, id=row.id) for row, seen in TABLE]
)
def test_one_per_row_reads(row, recognised):
    check(row, row.shapes[0], jit=False)
    args = row.sample(row.shapes[0], 0)
    source = symdiff.derivative_source(row.fn, *args)
    assert row_summed(source) is not recognised, source


@pytest.mark.parametrize("row", [row for row, _ in TABLE if row.jit], ids=lambda row: row.id)
def test_one_per_row_reads_compiled(row):
    check(row, row.shapes[0], jit=True)


def softmax_loss(W, X, labels):
    z = X @ W
    logp = z - scipy.special.logsumexp(z, axis=1, keepdims=True)
    return -np.mean(logp[np.arange(X.shape[0]), labels])


def test_softmax_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    """The scatter's row sum is gone: the adjoint of the normaliser is 1/n
    over it, so z_bar is -onehot/n (the scatter) plus softmax/n."""
    rng = np.random.default_rng(0)
    W, X, y = rng.normal(size=(4, 3)), rng.normal(size=(6, 4)), np.array([0, 2, 1, 1, 0, 2])
    source = symdiff.derivative_source(softmax_loss, W, X, y)
    body = source.split("def softmax_loss_grad")[1]
    assert not row_summed(body)
    assert body.count("np.sum(") == 1  # the softmax's normaliser, once
    lines = [line.strip() for line in body.splitlines() if not line.strip().startswith("#")]
    expected = [
        "t0 = 1.0 / labels.shape[0]",
        "logp_bar = _scatter_add_axes01_of_2d_number(-t0, z, values, labels)",
        "total_bar = t0 / total",
        "z_bar = logp_bar + total_bar * terms",
        "W_bar = X.T @ z_bar",
    ]
    start = lines.index(expected[0])
    assert lines[start : start + len(expected)] == expected
    forward = symdiff.derivative_source(softmax_loss, W, X, y, mode="forward")
    assert "np.sum(" in forward  # the JVP: a row sum of the tangent, as the formula has


def log_softmax_loss(W, X, labels):
    logp = scipy.special.log_softmax(X @ W, axis=1)
    return -np.mean(logp[np.arange(X.shape[0]), labels])


def test_log_softmax_prints_as_logsumexp_does():
    """scipy.special.log_softmax names its parts as logsumexp does."""
    rng = np.random.default_rng(1)
    W, X, y = rng.normal(size=(4, 3)), rng.normal(size=(6, 4)), np.array([0, 2, 1, 1, 0, 2])
    body = symdiff.derivative_source(log_softmax_loss, W, X, y).split("def log_softmax_loss_grad")[
        1
    ]
    assert not row_summed(body)
    assert "    terms = vmath.exp(shifted)\n" in body
    assert re.search(
        r"\n    total_bar = t\d / total\n    shifted_bar = logp_bar \+ total_bar \* terms\n", body
    )
    z = X @ W
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = X.T @ (probs - np.eye(3)[y]) / len(y)
    for mode in ("reverse", "forward"):
        assert np.allclose(symdiff.grad(log_softmax_loss, mode=mode, jit=False)(W, X, y), expected)


# Reductions along axes that Numba lacks (``primitives.spelling``): short
# rows are combined a column at a time, long ones reduced a row at a time;
# each row's first shape set takes the one way, its second the other.
REDUCTIONS = [
    Row("max-axis1", lambda x: np.max(x, axis=1), [((6, 3),), ((3, 6),)], domain=distinct),
    Row("min-axis0", lambda x: np.min(x, axis=0), [((3, 6),), ((6, 3),)], domain=distinct),
    Row("prod-axis1-keepdims", lambda x: np.prod(x, axis=1, keepdims=True), [((6, 3),), ((3, 6),)]),
    Row("max-axes-rank3", lambda x: np.max(x, axis=(0, 2)), [((2, 8, 1),), ((3, 2, 2),)], domain=distinct),
]  # fmt: skip


@pytest.mark.parametrize("row, shapes, jit", params(REDUCTIONS))
def test_reductions_along_short_and_long_rows(row, shapes, jit):
    check(row, shapes, jit)


def nan_rows(x):
    return np.max(x, axis=1) + np.min(x, axis=1)


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("shape", [(6, 3), (3, 6)])
def test_a_nan_in_a_row_is_its_max_and_min(shape, jit):
    """As np.max and np.min: a row holding a nan reduces to nan, either way."""
    x = np.arange(18.0).reshape(shape)
    x[1, 1] = np.nan
    value, _ = symdiff.value_and_grad(
        lambda x: np.sum(nan_rows(x) * np.arange(x.shape[0])), jit=jit
    )(x)
    expected = np.sum(nan_rows(x) * np.arange(x.shape[0]))
    assert np.isnan(value) and np.isnan(expected)
    x[1, 1] = 0.5
    value, _ = symdiff.value_and_grad(
        lambda x: np.sum(nan_rows(x) * np.arange(x.shape[0])), jit=jit
    )(x)
    assert value == np.sum(nan_rows(x) * np.arange(x.shape[0]))


def test_a_float_broadcast_to_the_shape_it_meets_is_itself():
    """broadcast_like(a, y) / y is a / y for a float a (in either order); an
    int a stays broadcast, as broadcast_like makes floats."""
    y, b = Var("y"), Var("b")
    for a in (Const(2.0), Const(2)):
        defs = {"b": Op("broadcast_like", (a, y))}
        for args, expected in (((b, y), (a, y)), ((y, b), (y, a))):
            new = simplify_op(Op("div", args), defs)
            assert new == (Op("div", expected) if isinstance(a.value, float) else Op("div", args))
    assert simplify_op(
        Op("mul", (b, Var("z"))), {"b": Op("broadcast_like", (Const(2.0), y))}
    ) == Op("mul", (b, Var("z")))  # another operand: the broadcast may be what gives the shape
