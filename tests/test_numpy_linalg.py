"""Linear algebra (``symdiff.library.linalg``, ``symdiff.primitives.linalg``):
each function as users call it, both modes, plain and compiled, against
NumPy/SciPy and finite differences of NumPy/SciPy (``numpy_table``); the
refusals; the generated code of the textbook rules."""

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.stats import multivariate_normal

import symdiff

from .numpy_table import Row, check, normal, params, spd


def conditioned(rng, shape):
    """A well-conditioned general matrix (its diagonal dominates)."""
    return rng.standard_normal(shape) + 3.0 * np.eye(shape[0], shape[1])


def slogdet_both(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return sign * logabsdet


def eigh_both(a):
    values, vectors = np.linalg.eigh(a)
    return np.sum(values) + vectors * values


def svd_all(a):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return np.sum(u * u[:1]) + s[0] * vt


def qr_both(a):
    q, r = np.linalg.qr(a)
    return np.sum(q * q[:, :1]) + r


def gp_nlml(a, y):
    """A Gaussian process' negative log marginal likelihood, as written by hand."""
    factor = np.linalg.cholesky(a)
    alpha = cho_solve((factor, True), y)
    return 0.5 * np.dot(y, alpha) + np.sum(np.log(np.sum(factor * np.eye(3), axis=0)))


SQUARE = [((3, 3),), ((1, 1),)]

TABLE = [
    Row("inv", lambda a: np.linalg.inv(a), SQUARE, domain=conditioned, jit=False),
    Row("solve-vector", lambda a, b: np.linalg.solve(a, b), [((3, 3), (3,))], domain=(conditioned, normal), jit=False),
    Row("solve-matrix", lambda a, b: np.linalg.solve(a, b), [((3, 3), (3, 2)), ((2, 2), (2, 1))], domain=(conditioned, normal), jit=False),
    Row("det", lambda a: np.linalg.det(a), SQUARE, domain=conditioned, jit=False),
    Row("det-negative", lambda a: np.linalg.det(-a), [((3, 3),)], domain=conditioned, jit=False),
    Row("slogdet", lambda a: np.linalg.slogdet(a)[1], SQUARE, domain=conditioned, jit=False),
    Row("slogdet-sign", slogdet_both, [((3, 3),)], domain=conditioned, jit=False),
    Row("cholesky", lambda a: np.linalg.cholesky(a), [((3, 3),), ((1, 1),), ((5, 5),)], domain=spd, jit=False),
    Row("cholesky-upper", lambda a: np.linalg.cholesky(a, upper=True), [((3, 3),)], domain=spd, jit=False),
    Row("scipy-cholesky", lambda a: scipy.linalg.cholesky(a), [((3, 3),)], domain=spd, jit=False),
    Row("scipy-cholesky-lower", lambda a: scipy.linalg.cholesky(a, lower=True), [((3, 3),)], domain=spd, jit=False),
    Row("solve_triangular-lower", lambda a, b: solve_triangular(a, b, lower=True), [((3, 3), (3,)), ((3, 3), (3, 2))], domain=(conditioned, normal), jit=False),
    Row("solve_triangular-upper", lambda a, b: solve_triangular(a, b), [((3, 3), (3, 2)), ((4, 4), (4,))], domain=(conditioned, normal), jit=False),
    Row("solve_triangular-trans", lambda a, b: solve_triangular(a, b, trans=1, lower=True), [((3, 3), (3,))], domain=(conditioned, normal), jit=False),
    Row("solve_triangular-trans-T", lambda a, b: solve_triangular(a, b, trans="T"), [((3, 3), (3, 2))], domain=(conditioned, normal), jit=False),
    Row("cho_solve", lambda a, b: cho_solve(cho_factor(a), b), [((3, 3), (3,)), ((3, 3), (3, 2))], domain=(spd, normal), jit=False),
    Row("cho_solve-lower", lambda a, b: cho_solve(cho_factor(a, lower=True), b), [((3, 3), (3, 2))], domain=(spd, normal), jit=False),
    Row("eigvalsh", lambda a: np.linalg.eigvalsh(a), [((3, 3),), ((1, 1),)], domain=spd, jit=False),
    Row("eigh-values", lambda a: np.linalg.eigh(a)[0], [((4, 4),)], domain=spd, jit=False),
    Row("eigh-vectors", lambda a: np.linalg.eigh(a)[1], [((3, 3),), ((2, 2),)], domain=spd, jit=False),
    Row("eigh-both", eigh_both, [((3, 3),)], domain=spd, jit=False),
    Row("qr-tall", lambda a: np.linalg.qr(a)[0], [((4, 3),), ((3, 3),)], domain=conditioned, jit=False),
    Row("qr-r", lambda a: np.linalg.qr(a)[1], [((4, 3),), ((3, 3),)], domain=conditioned, jit=False),
    Row("qr-both", qr_both, [((5, 2),)], domain=conditioned, jit=False),
    Row("svdvals", lambda a: np.linalg.svd(a, compute_uv=False), [((4, 3),), ((3, 4),), ((3, 3),)], domain=conditioned, jit=False),
    Row("svd", svd_all, [((4, 3),), ((3, 3),), ((6, 2),)], domain=conditioned, jit=False),
    Row("svd-u", lambda a: np.linalg.svd(a, full_matrices=False)[0], [((4, 3),)], domain=conditioned, jit=False),
    Row("pinv", lambda a: np.linalg.pinv(a), [((4, 3),), ((3, 4),), ((3, 3),)], domain=conditioned, jit=False),
    Row("mvn-logpdf", lambda x, m, c: multivariate_normal.logpdf(x, m, c), [((3,), (3,), (3, 3))], domain=(normal, normal, spd), jit=False),
    Row("mvn-logpdf-rows", lambda x, m, c: multivariate_normal.logpdf(x, mean=m, cov=c), [((5, 3), (3,), (3, 3))], domain=(normal, normal, spd), jit=False),
    Row("mvn-logpdf-no-mean", lambda x, c: scipy.stats.multivariate_normal.logpdf(x, cov=c), [((4, 2), (2, 2))], domain=(normal, spd), jit=False),
    Row("mvn-pdf", lambda x, m, c: multivariate_normal.pdf(x, m, c), [((2,), (2,), (2, 2))], domain=(normal, normal, spd), jit=False),
    Row("gp-nlml", gp_nlml, [((3, 3), (3,))], domain=(spd, normal), jit=False),
]  # fmt: skip


# Compiled with Numba, reverse mode (forward mode for cholesky): np.linalg compiles
# slowly, so each helper and spelling is compiled once, the rows above cover
# the rest in plain Python.
COMPILED = [
    Row("inv", lambda a: np.linalg.inv(a), [((3, 3),)], domain=conditioned, modes=("reverse",)),
    Row("solve-det", lambda a, b: np.linalg.solve(a, b) * np.linalg.det(a), [((3, 3), (3, 2))], domain=(conditioned, normal), modes=("reverse",)),
    Row("slogdet", lambda a: np.linalg.slogdet(a)[1], [((3, 3),)], domain=conditioned, modes=("reverse",)),
    Row("cholesky-forward", lambda a: np.linalg.cholesky(a), [((3, 3),)], domain=spd, modes=("forward",)),
    Row("eigh", eigh_both, [((3, 3),)], domain=spd, modes=("reverse",)),
    Row("eigvalsh", lambda a: np.linalg.eigvalsh(a), [((3, 3),)], domain=spd, modes=("reverse",)),
    Row("qr", qr_both, [((4, 3),)], domain=conditioned, modes=("reverse",)),
    Row("svdvals", lambda a: np.linalg.svd(a, compute_uv=False), [((4, 3),)], domain=conditioned, modes=("reverse",)),
    Row("gp-nlml", gp_nlml, [((3, 3), (3,))], domain=(spd, normal), modes=("reverse",)),
    Row("svd", svd_all, [((4, 3),)], domain=conditioned, modes=("reverse",)),
    Row("pinv", lambda a: np.linalg.pinv(a), [((3, 2),)], domain=conditioned, modes=("reverse",)),
]  # fmt: skip


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_linalg_function(row, shapes, jit):
    check(row, shapes, jit)


@pytest.mark.parametrize("row", [pytest.param(row, id=f"{row.id}-jit") for row in COMPILED])
def test_linalg_function_compiled(row):
    check(row, row.shapes[0], True)


def _refused(fn, *args, words):
    with pytest.raises(symdiff.SymDiffError) as info:
        symdiff.grad(fn, jit=False)(*args)
    message = str(info.value)
    assert "test_numpy_linalg.py" in message and "symdiff/library" not in message, message
    for word in words:
        assert word in message, message


A = np.eye(3) + 0.1


def test_a_stack_of_matrices_is_refused():
    """(inv, solve, det, slogdet and cholesky take stacks: tests/test_numpy_forms.py)."""
    _refused(
        lambda a: np.sum(np.linalg.eigvalsh(a)), np.ones((2, 3, 3)), words=["rank 2", "loop over"]
    )


def test_a_vector_is_not_a_matrix():
    _refused(lambda a: np.linalg.det(a), np.ones(3), words=["np.linalg.det", "rank-1"])


def test_svd_with_full_matrices_is_refused():
    _refused(lambda a: np.sum(np.linalg.svd(a)[1]), A, words=["full_matrices=False"])


def test_eigh_upper_is_refused():
    _refused(lambda a: np.sum(np.linalg.eigvalsh(a, UPLO="U")), A, words=['UPLO="U"'])


def test_qr_modes_other_than_reduced_are_refused():
    _refused(lambda a: np.sum(np.linalg.qr(a, mode="complete")[1]), A, words=["reduced"])


def test_pinv_cutoffs_are_refused():
    _refused(lambda a: np.sum(np.linalg.pinv(a, rcond=1e-3)), A, words=["rcond="])


def test_unit_diagonal_is_refused():
    b = np.ones(3)
    _refused(
        lambda a: np.sum(solve_triangular(a, b, unit_diagonal=True)), A, words=["unit_diagonal"]
    )


def test_solve_triangular_trans_must_be_known():
    b = np.ones(3)
    _refused(lambda a: np.sum(solve_triangular(a, b, trans=3)), A, words=["trans=0"])


def test_multivariate_normal_needs_a_covariance_matrix():
    _refused(
        lambda x: multivariate_normal.logpdf(x, cov=2.0),
        np.ones(3),
        words=["takes a matrix", "rank-0"],
    )


def test_inv_gradient_reads_as_the_textbook():
    def f(a, w):
        return np.sum(np.linalg.inv(a) * w)

    source = symdiff.derivative_source(f, A, A)
    assert "t0 = np.linalg.inv(a).T\n    a_bar = -(t0 @ w @ t0)" in source, source


def test_cholesky_gradient_reads_as_the_textbook():
    """S = L^-T Phi(L^T G) L^-1 by two triangular solves, then Phi(S + S^T)
    (one helper, one pass)."""

    def f(a, w):
        return np.sum(np.linalg.cholesky(a) * w)

    source = symdiff.derivative_source(f, A, A)
    expected = """\
    t0 = np.linalg.cholesky(a).T
    a_bar = _phi_symmetric(_solve_upper(t0, _solve_upper(t0, _phi(t0 @ w)).T).T)"""
    assert expected in source, source


def test_cholesky_reads_only_the_lower_triangle():
    """Perturbing the strict upper triangle changes nothing: its gradient is 0
    (both modes), and the lower off-diagonals carry both symmetric halves."""

    def f(a, w):
        return np.sum(np.linalg.cholesky(a) * w)

    a = spd(np.random.default_rng(1), (4, 4))
    w = np.random.default_rng(2).standard_normal((4, 4))
    for mode in ("reverse", "forward"):
        g = symdiff.grad(f, mode=mode, jit=False)(a, w)
        assert np.all(np.triu(g, 1) == 0.0)
        h = np.random.default_rng(3).standard_normal((4, 4))
        h = h + h.T  # a symmetric direction: LAPACK sees it all through the lower triangle
        step = 1e-6
        numeric = (f(a + step * h, w) - f(a - step * h, w)) / (2 * step)
        assert np.isclose(np.sum(g * h), numeric)


def test_eigh_with_equal_eigenvalues_is_not_finite():
    """The documented convention: distinct eigenvalues are assumed."""

    def f(a):
        return np.sum(np.linalg.eigh(a)[1][0])

    g = symdiff.grad(f, jit=False)(np.eye(3))
    assert not np.all(np.isfinite(g))


def test_slogdet_sign_has_no_derivative():
    def f(a):
        return np.linalg.slogdet(a)[0]

    assert np.all(symdiff.grad(f, jit=False)(-A) == 0.0)


@pytest.mark.parametrize(
    "fn",
    [
        lambda a, b: np.sum(np.linalg.inv(a)) + np.linalg.det(a),
        lambda a, b: np.sum(np.linalg.solve(a, b) ** 2),
        lambda a, b: np.sum(solve_triangular(a, b, lower=True) * solve_triangular(a, b)),
        lambda a, b: np.sum(np.linalg.cholesky(a @ a.T) * a),
    ],
    ids=["inv-det", "solve", "solve_triangular", "cholesky"],
)
def test_check_grad_agrees_with_sympy(fn):
    rng = np.random.default_rng(4)
    a, b = conditioned(rng, (3, 3)), rng.standard_normal(3)
    report = symdiff.check_grad(fn, a, b, jit=False)
    assert report.ok and "SymPy" in str(report), report


# -- the one-pass triangle helpers ---------------------------------------------


def _helper(source, name):
    namespace = {"np": np}
    exec(source.format(name=name, float="np.float64"), namespace)
    return namespace[name]


@pytest.mark.parametrize("n", [1, 2, 5])
def test_triangle_helpers_are_their_numpy_definitions(n):
    from symdiff.primitives import linalg

    rng = np.random.default_rng(n)
    x, a, b = rng.normal(size=(n, n)), rng.normal(size=n), rng.normal(size=n)
    phi = np.tril(x) - np.diag(np.diag(x)) / 2
    np.testing.assert_array_equal(_helper(linalg._PHI, "_phi")(x), phi)
    s = x + x.T
    expected = np.tril(s) - np.diag(np.diag(s)) / 2
    np.testing.assert_array_equal(_helper(linalg._PHI_SYMMETRIC, "_p")(x), expected)
    np.testing.assert_array_equal(_helper(linalg._LOWER_OUTER, "_l")(a, b), np.tril(np.outer(a, b)))
    np.testing.assert_array_equal(_helper(linalg._UPPER_OUTER, "_u")(a, b), np.triu(np.outer(a, b)))


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 5), (5, 2)])
@pytest.mark.parametrize("k", [-6, -1, 0, 1, 6])
def test_tril_and_triu_helpers_are_numpys(shape, k):
    from symdiff.primitives.spelling import _TRIANGLES

    x = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    for func in ("tril", "triu"):
        got = _helper(_TRIANGLES[func], "_t")(x, k)
        np.testing.assert_array_equal(got, getattr(np, func)(x, k), err_msg=f"{func} k={k}")
    ints = _helper(_TRIANGLES["tril"], "_t")(np.ones(shape, dtype=np.int64), k)
    assert ints.dtype == np.int64


def triangles(x):
    return np.sum(np.tril(x, 1) * x) + np.sum(np.triu(x, -1) ** 2)


def test_tril_and_triu_compiled_are_the_plain_ones():
    x = np.arange(12.0).reshape(3, 4) / 7.0
    plain = symdiff.grad(triangles, jit=False)(x)
    np.testing.assert_allclose(symdiff.grad(triangles)(x), plain, rtol=1e-14)
    np.testing.assert_allclose(symdiff.grad(triangles, mode="forward", jit=False)(x), plain)
    assert "_tril(" in symdiff.derivative_source(triangles, x)
