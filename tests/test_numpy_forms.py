"""Call forms users write (``symdiff.library``: ``operators``, ``products``,
``shapes``, ``joining``, ``indexing``, ``stats``, ``linalg``): ``operator.*``
called as functions and passed to helpers, ``functools.reduce``,
``np.cross`` along any axes, ``np.rollaxis``, ``np.einsum``'s interleaved
form, ``np.block``, ``np.dsplit``, ``x.clip(min=, max=)``,
``np.argsort(kind=)``, ``np.take(mode=)``, ``scipy.special.betainc`` and
``stdtr``, ``scipy.stats.t.cdf``/``logcdf``, frozen distributions,
``np.linalg`` on stacks of matrices and ``qr``/``svd`` of wide ones; both
modes, plain and compiled, against NumPy/SciPy and finite differences
(``numpy_table``); and the errors, at the user's line."""

import functools
import math
import operator

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

import symdiff
from symdiff.primitives import special

from .numpy_table import Row, check, distinct, normal, params, positive, probability, spd


def _reduce_mul(a, b):
    return functools.reduce(operator.mul, [a, b, a])


def _reduce_rows(a):
    return functools.reduce(operator.add, a)  # the rows of an array: a loop


def _reduce_initial(a, b):
    return functools.reduce(lambda u, v: u * v + 1.0, (a, b), 2.0)


def _apply(function, a, b):
    return function(a, b)


def _passed_to_a_helper(a, b):
    return _apply(operator.sub, a, b) * _apply(operator.truediv, a, b)


def _mapped(a, b):
    return sum(map(operator.mul, [a, b], [b, b]))


def _block_2x2(a, b):
    return np.block([[a, b], [b, a]])


def _block_promoted(c):
    return np.block([c, 1.0, c])  # a number and 1-d arrays: 1-d


def _block_rows(a, c):
    return np.block([[a], [c]])  # a row under a matrix: c gets a leading axis


def _split_pieces(a):
    return np.dsplit(a, 2)[1] * np.dsplit(a, [1, 3])[2][:, :, :1]


def off_grid(rng, shape):
    """Between multiples of 0.7: away from the bounds of clip at +-0.5."""
    return 0.7 * rng.integers(-4, 4, shape) + rng.uniform(0.1, 0.25, shape)


def conditioned(rng, shape):
    """A well-conditioned matrix (its diagonal dominates), square, tall or wide."""
    return rng.standard_normal(shape) + 3.0 * np.eye(shape[0], shape[1])


def _qr_both(a):
    q, r = np.linalg.qr(a)
    return np.sum(q * np.arange(q.size).reshape(q.shape)) + r


def _svd_products(a):
    """Singular values and u_i v_i^T, which do not depend on the vectors' signs."""
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return (u * s) @ vt * s[0] + u[:, :1] @ vt[:1]


POSITIVE_B = (normal, positive)
TABLE = [
    # operator.* as functions
    Row("operator-add", lambda a, b: operator.add(a, b), [((), ()), ((3, 4), (4,))], jit=False),
    Row("operator-sub-mul", lambda a, b: operator.mul(operator.sub(a, b), a), [((4,), (4,))], jit=False),
    Row("operator-truediv", lambda a, b: operator.truediv(a, b), [((3,), (3,))], domain=POSITIVE_B, jit=False),
    Row("operator-neg-pos", lambda a: operator.neg(a) * operator.pos(a), [((3,),)], jit=False),
    Row("operator-pow", lambda a, b: operator.pow(b, a), [((3,), (3,))], domain=POSITIVE_B, jit=False),
    Row("operator-mod", lambda a, b: operator.mod(a, b), [((4,), (4,))], domain=(lambda rng, s: rng.uniform(2.1, 2.9, s), lambda rng, s: rng.uniform(1.0, 1.04, s)), jit=False),
    Row("operator-matmul", lambda a, b: operator.matmul(a, b), [((2, 3), (3, 4))], jit=False),
    Row("operator-abs", lambda a: operator.abs(a), [((4,),)], domain=positive, jit=False),
    Row("reduce-mul", _reduce_mul, [((3, 4), (3, 4))], jit=False),
    Row("reduce-rows", _reduce_rows, [((4, 3),)], jit=False),
    Row("reduce-initial", _reduce_initial, [((3,), (3,))], jit=False),
    Row("operator-to-a-helper", _passed_to_a_helper, [((3,), (3,))], domain=POSITIVE_B, jit=False),
    Row("operator-mapped", _mapped, [((3,), (3,))], jit=False),
    # np.dot of numbers is the product, as in NumPy
    Row("dot-numbers", lambda s, t: np.dot(s, t), [((), ())], jit=False),
    Row("dot-number-array", lambda s, a: np.dot(s, a) + np.dot(a, s), [((), (2, 3))], jit=False),
    Row("dot-method-number", lambda a: a.dot(2.0), [((3,),)], jit=False),
    Row("dot-method-matrix", lambda a, b: a.dot(b), [((2, 3), (3,))], jit=False),
    # np.cross along any axes
    Row("cross-axisa", lambda a, b: np.cross(a, b, axisa=0), [((3, 4), (4, 3))]),
    Row("cross-axisb-axisc", lambda a, b: np.cross(a, b, axisb=0, axisc=0), [((2, 3), (3, 2))], jit=False),
    Row("cross-axis", lambda a, b: np.cross(a, b, axis=0), [((3, 3), (3, 3)), ((3, 2, 2), (3, 2, 2))], jit=False),
    Row("cross-middle", lambda a, b: np.cross(a, b, axisa=1, axisb=1, axisc=1), [((2, 3, 4), (2, 3, 4))], jit=False),
    # shapes and joining
    Row("rollaxis", lambda a: np.rollaxis(a, 2), [((2, 3, 4),)], jit=False),
    Row("rollaxis-start", lambda a: np.rollaxis(a, 0, 3), [((2, 3, 4),)], jit=False),
    Row("rollaxis-back", lambda a: np.rollaxis(a, 2, 1), [((2, 3, 4),)], jit=False),
    Row("rollaxis-negative", lambda a: np.rollaxis(a, -1, -2), [((2, 3, 4),)], jit=False),
    Row("einsum-sublists", lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), [((2, 3), (3, 4))], jit=False),
    Row("einsum-sublists-implicit", lambda a, b: np.einsum(a, [0, 1], b, [1, 2]), [((2, 3), (3, 4))], jit=False),
    Row("einsum-sublists-transpose", lambda a: np.einsum(a, (0, 1), (1, 0)), [((2, 3),)], jit=False),
    Row("einsum-sublists-covsum", lambda a, b: np.einsum(a, (0, 1, 2), b, (3, 1, 0), (3, 2, 0)), [((3, 4, 4), (4, 4, 3))], jit=False),
    Row("block", _block_2x2, [((2, 3), (2, 3))], jit=False),
    Row("block-promoted", _block_promoted, [((4,),)], jit=False),
    Row("block-rows", _block_rows, [((3, 4), (4,))], jit=False),
    Row("dsplit", _split_pieces, [((2, 3, 4),)], jit=False),
    # keyword forms
    Row("clip-method-keywords", lambda x: x.clip(min=-0.5, max=0.5), [((5,),), ((3, 4),)], domain=off_grid, jit=False),
    Row("clip-method-min", lambda x: x.clip(min=-0.5), [((5,),)], domain=off_grid, jit=False),
    Row("clip-method-positional", lambda x: x.clip(-0.5, 0.5), [((5,),)], domain=off_grid, jit=False),
    Row("argsort-kind", lambda x: x[np.argsort(x, kind="stable")] * np.arange(6.0), [((6,),)], domain=distinct, jit=False),
    Row("argsort-method-kind", lambda x: x[x.argsort(kind="quicksort")] * np.arange(6.0), [((6,),)], domain=distinct, jit=False),
    Row("take-wrap", lambda x: np.take(x, np.array([0, 5, 2, -1, 7]), mode="wrap"), [((4,),)]),
    Row("take-clip", lambda x: np.take(x, np.array([0, 5, 2, -1, 2]), mode="clip"), [((4,),)], jit=False),
    Row("take-wrap-axis", lambda x: np.take(x, np.array([0, 5, 1]), axis=1, mode="wrap"), [((3, 4),)], jit=False),
    Row("take-clip-method", lambda x: x.take(np.array([9, 0, 0]), axis=0, mode="clip"), [((3, 2),)], jit=False),
    # the incomplete beta function and t's CDF
    Row("betainc", lambda x: sc.betainc(2.5, 0.7, x), [((),), ((5,),), ((3, 4),)], domain=probability, jit=False),
    Row("betainc-broadcast", lambda x: sc.betainc(np.array([0.5, 1.0, 3.0]), 2.0, x), [((2, 3),)], domain=probability, jit=False),
    Row("stdtr", lambda x: sc.stdtr(3.0, x), [((),), ((5,),)], jit=False),
    Row("t.cdf", lambda x, m, s: st.t.cdf(x, 4.5, m, s), [((5,), (), ()), ((3, 4), (4,), ())], domain=(normal, normal, positive)),
    Row("t.logcdf", lambda x, s: st.t.logcdf(x, 2.0, scale=s), [((5,), ())], domain=(normal, positive), jit=False),
    # frozen distributions
    Row("norm-frozen", lambda x, m, s: st.norm(m, s).logpdf(x) + st.norm(loc=m).cdf(x), [((5,), (), ())], domain=(normal, normal, positive), jit=False),
    Row("norm-frozen-pdf", lambda x, s: st.norm(scale=s).pdf(x) * st.norm().logcdf(x), [((5,), ())], domain=(normal, positive), jit=False),
    Row("t-frozen", lambda x, m: st.t(3.0, m).logpdf(x) + st.t(5.0, loc=m).cdf(x), [((5,), ())], jit=False),
    Row("multivariate-normal-frozen", lambda x, m, c: st.multivariate_normal(m, c).logpdf(x), [((4, 3), (3,), (3, 3))], domain=(normal, normal, spd), jit=False),
    # linear algebra on stacks of matrices, and of wide matrices
    Row("inv-stack", lambda a: np.linalg.inv(a), [((3, 4, 4),), ((2, 2, 3, 3),)], domain=spd),
    Row("solve-stack", lambda a, b: np.linalg.solve(a, b), [((3, 4, 4), (3, 4, 2)), ((2, 3, 3), (3,))], domain=(spd, normal)),
    Row("solve-stack-4d", lambda a, b: np.linalg.solve(a, b), [((2, 2, 3, 3), (2, 2, 3, 1))], domain=(spd, normal), jit=False),
    Row("det-stack", lambda a: np.linalg.det(a), [((3, 3, 3),), ((2, 2, 2, 2),)], domain=spd, jit=False),
    Row("slogdet-stack", lambda a: np.linalg.slogdet(a)[1], [((3, 3, 3),), ((2, 1, 2, 2),)], domain=spd, jit=False),
    Row("cholesky-stack", lambda a: np.linalg.cholesky(a), [((3, 4, 4),), ((2, 2, 3, 3),)], domain=spd),
    Row("cholesky-stack-upper", lambda a: np.linalg.cholesky(a, upper=True), [((2, 3, 3),)], domain=spd, jit=False),
    Row("qr-wide", _qr_both, [((3, 5),), ((4, 4),), ((5, 3),)], domain=conditioned),
    Row("svd-wide", _svd_products, [((3, 5),), ((5, 3),)], domain=conditioned, jit=False),
    Row("multivariate-normal-frozen-pdf", lambda x, c: st.multivariate_normal(mean=None, cov=c).pdf(x), [((3,), (3, 3))], domain=(normal, spd), jit=False),
]  # fmt: skip


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_form(row, shapes, jit):
    check(row, shapes, jit)


def test_the_operators_print_as_operators():
    """``operator.mul(a, b)`` is ``a * b`` in the generated code."""

    def f(a, b):
        return np.sum(functools.reduce(operator.mul, [a, b, a]))

    source = symdiff.derivative_source(f, np.ones(3), np.ones(3), argnums=(0, 1))
    assert "operator" not in source and "reduce" not in source
    assert "b_bar = a * a" in source


def test_cross_along_the_first_axis_prints_transposes():
    def f(a, b):
        return np.sum(np.cross(a, b, axis=0))

    source = symdiff.derivative_source(f, np.ones((3, 2)), np.ones((3, 2)))
    assert ".T" in source and "_cross(" in source


def test_einsum_sublists_are_the_string_form():
    def by_lists(a, b):
        return np.sum(np.einsum(a, [0, 1], b, [1, 2], [0, 2]))

    def by_string(a, b):
        return np.sum(np.einsum("ab,bc->ac", a, b))

    def body(f):
        source = symdiff.derivative_source(f, np.ones((2, 3)), np.ones((3, 4)))
        lines = source.split(f"def {f.__name__}_grad")[1].replace(f.__name__, "f").splitlines()
        return [line for line in lines if not line.strip().startswith("# line")]

    assert body(by_lists) == body(by_string)


def test_t_cdf_derivative_at_zero_is_the_density():
    """stdtr's derivative is t's density itself: finite at x == 0 and for
    tiny x, where the chain rule through betainc would meet 0 * inf."""

    def f(x):
        return np.sum(st.t.cdf(x, 3.0))

    x = np.array([0.0, 1e-12, -1e-9, 5.0, -40.0])
    for mode in ("reverse", "forward"):
        grad = symdiff.grad(f, mode=mode, jit=False)(x)
        np.testing.assert_allclose(grad, st.t.pdf(x, 3.0), rtol=1e-13)


# Cauchy's CDF is 1/2 + atan(x)/pi in closed form (SciPy's stdtr loses digits
# for df = 1 near 0, so it is checked against the formula).
BETAINC_POINTS = [
    (a, b, x)
    for a in (0.3, 1.0, 2.5, 40.0)
    for b in (0.5, 1.0, 7.0)
    for x in (0.0, 1e-5, 0.2, 0.5, 0.9, 1 - 1e-9, 1.0)
]


def test_betainc_helper_agrees_with_scipy():
    ours = np.array([special._betainc(a, b, x) for a, b, x in BETAINC_POINTS])
    want = np.array([sc.betainc(a, b, x) for a, b, x in BETAINC_POINTS])
    np.testing.assert_allclose(ours, want, rtol=1e-13, atol=1e-300)


def test_stdtr_helper_agrees_with_scipy_and_cauchy():
    points = [
        (df, x) for df in (0.5, 3.0, 30.0, 1e3) for x in (-50.0, -3.0, -0.1, 0.0, 0.7, 5.0, 300.0)
    ]
    ours = np.array([special._stdtr(df, x) for df, x in points])
    np.testing.assert_allclose(ours, [sc.stdtr(df, x) for df, x in points], rtol=1e-12)
    for x in (1e-8, -0.3, 2.0, -1e4):
        assert special._stdtr(1.0, x) == pytest.approx(0.5 + math.atan(x) / math.pi, rel=1e-14)


@pytest.mark.parametrize(
    "a, b, x, value",
    [(2.0, 3.0, -0.1, math.nan), (2.0, 3.0, 1.5, math.nan), (-1.0, 3.0, 0.5, math.nan), (2.0, 3.0, 0.0, 0.0), (2.0, 3.0, 1.0, 1.0)],
)  # fmt: skip
def test_betainc_outside_its_domain_is_nan_as_scipy(a, b, x, value):
    assert special._betainc(a, b, x) == pytest.approx(value, nan_ok=True)
    assert float(sc.betainc(a, b, x)) == pytest.approx(value, nan_ok=True)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_betainc_at_zero_with_a_one_is_b(mode):
    """d/dx I_x(1, b) = b (1 - x)**(b - 1): b at 0 (x**0 is 1 there)."""
    grad = symdiff.grad(lambda x: sc.betainc(1.0, 3.0, x), mode=mode, jit=False)(0.0)
    assert grad == pytest.approx(3.0)


def test_betainc_compiles_with_array_shapes():
    def f(a, x):
        return np.sum(sc.betainc(a, 2.0, x))

    a, x = np.array([0.5, 2.0, 4.0]), np.array([[0.1, 0.5, 0.7], [0.3, 0.9, 0.2]])
    grad = symdiff.grad(f, 1, jit=True)(a, x)
    density = x ** (a - 1) * (1 - x) / np.exp(sc.betaln(a, 2.0))
    np.testing.assert_allclose(grad, density, rtol=1e-12)


def _error(f, args, argnums=0, mode="reverse"):
    with pytest.raises(symdiff.SymDiffError) as info:
        symdiff.grad(f, argnums, mode=mode, jit=False)(*args)
    error = info.value
    assert error.filename == __file__, str(error)
    return str(error)


def _split_by_a_count_argument(a, n):
    return np.sum(np.split(a, n)[0])  # ERR


def _betainc_in_a(a, x):
    return np.sum(sc.betainc(a, 2.0, x))  # ERR


def _einsum_lists_from_arguments(a, axes):
    return np.sum(np.einsum(a, axes, (1, 0)))  # ERR


def _take_mode(x):
    return np.sum(np.take(x, np.array([0]), mode="nearest"))  # ERR


def _argsort_kind(x):
    return np.sum(x[np.argsort(x, kind="fast")])  # ERR


X = np.ones((4, 3))


@pytest.mark.parametrize(
    "f, args, argnums, mode, message",
    [
        (_split_by_a_count_argument, (X, 2), 0, "reverse", "np.split() needs its number of sections known"),
        (_betainc_in_a, (2.0, 0.5), 0, "reverse", "betainc(a, b, x) in a or b"),
        (_betainc_in_a, (2.0, 0.5), 0, "forward", "betainc(a, b, x) in a or b"),
        (_einsum_lists_from_arguments, (X, (0, 1)), 0, "reverse", "lists of axes must be known"),
        (_take_mode, (X,), 0, "reverse", "mode= is"),
        (_argsort_kind, (X[0],), 0, "reverse", "kind="),
    ],
    ids=["split-count", "betainc-a", "betainc-a-forward", "einsum-lists", "take-mode", "argsort-kind"],
)  # fmt: skip
def test_unsupported_forms_are_refused_at_the_users_line(f, args, argnums, mode, message):
    text = _error(f, args, argnums, mode)
    assert message in text and "# ERR" in text


def test_a_count_from_a_global_is_read_when_the_code_is_generated():
    def f(a):
        return np.sum(np.array_split(a, COUNT)[1] ** 2)

    a = np.arange(7.0)
    assert symdiff.grad(f, jit=False)(a) == pytest.approx(np.r_[0, 0, 0, 6, 8, 0, 0])


COUNT = 3
