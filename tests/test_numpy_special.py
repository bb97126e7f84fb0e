"""Special functions (``symdiff.primitives.special``, ``symdiff.library``):
the Numba helpers against SciPy at many points, every function in both
modes against SciPy and finite differences (``numpy_table``), conventions
at the poles, and ``scipy.stats.norm``/``t``."""

import math

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

import symdiff
from symdiff.primitives import special

from .numpy_table import Row, check, normal, params, positive, probability, unit

SHAPES = [((),), ((5,),), ((3, 4),), ((2, 3, 4),)]


def negative(rng, shape):
    """In (-30, -5): the far lower tail of log_ndtr."""
    value = rng.uniform(-30.0, -5.0, shape)
    return value if shape != () else float(value)


TABLE = [
    Row("gammaln", lambda x: sc.gammaln(x), SHAPES, domain=positive),
    Row("lgamma", lambda x: math.lgamma(x) * math.gamma(x), [((),)], domain=positive),
    Row("gamma", lambda x: sc.gamma(x), SHAPES[:3], domain=positive),
    Row("digamma", lambda x: sc.digamma(x), SHAPES, domain=positive),
    Row("psi-negative", lambda x: sc.psi(0.15 * x - 1.75), [((4,),)], domain=positive, jit=False),
    Row("polygamma1", lambda x: sc.polygamma(1, x), SHAPES[:3], domain=positive),
    Row("polygamma3", lambda x: sc.polygamma(3, x), [((5,),)], domain=positive, jit=False),
    Row("erfinv", lambda x: sc.erfinv(x), SHAPES, domain=unit),
    Row("erf-erfc", lambda x: sc.erf(x) + sc.erfc(x), [((5,),)]),
    Row("ndtr", lambda x: sc.ndtr(x), SHAPES[:3]),
    Row("log_ndtr", lambda x: sc.log_ndtr(x), SHAPES[:3]),
    Row("log_ndtr-tail", lambda x: sc.log_ndtr(x), [((6,),)], domain=negative, rtol=1e-5),
    Row("betaln", lambda a, b: sc.betaln(a, b), [((), ()), ((4,), ()), ((3, 4), (4,))], domain=positive),
    Row("xlogy", lambda x, y: sc.xlogy(x, y), [((), ()), ((4,), (4,)), ((3, 4), (4,))], domain=(normal, positive)),
    Row("xlog1py", lambda x, y: sc.xlog1py(x, y), [((4,), (4,)), ((), ())], domain=(normal, positive)),
    Row("logit", lambda p: sc.logit(p), SHAPES[:3], domain=probability),
    Row("expit-logit", lambda p: sc.expit(sc.logit(p)), [((4,),)], domain=probability, jit=False),
    Row("log1p-expm1", lambda x: sc.log1p(x * x) + sc.expm1(x), [((), ), ((4,),)]),
    Row("norm.logpdf", lambda x, m, s: st.norm.logpdf(x, loc=m, scale=s), [((5,), (), ()), ((3, 4), (4,), (4,))], domain=(normal, normal, positive)),
    Row("norm.pdf", lambda x, s: st.norm.pdf(x, 0.5, s), [((5,), ())], domain=(normal, positive)),
    Row("norm.cdf", lambda x: st.norm.cdf(x, loc=0.3), [((5,),), ((),)]),
    Row("norm.logcdf", lambda x, s: st.norm.logcdf(x, scale=s), [((5,), ())], domain=(normal, positive)),
    Row("t.logpdf", lambda x, df, s: st.t.logpdf(x, df, scale=s), [((5,), (), ())], domain=(normal, positive, positive)),
    Row("t.pdf", lambda x, df: st.t.pdf(x, df=df, loc=0.2), [((5,), ())], domain=(normal, positive), jit=False),
]  # fmt: skip


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_special_function(row, shapes, jit):
    check(row, shapes, jit)


def _relative_error(ours, reference, points):
    got = np.array([ours(p) for p in points])
    want = reference(points)
    finite = np.isfinite(want)
    assert np.array_equal(np.isfinite(got), finite)
    scale = np.maximum(np.abs(want[finite]), 1e-300)
    return float(np.max(np.abs(got[finite] - want[finite]) / scale))


RNG = np.random.default_rng(12)
REALS = np.concatenate(
    [RNG.uniform(-10, 10, 800), RNG.uniform(0, 3, 800), 10 ** RNG.uniform(-8, 3, 300)]
)
NEAR_ONE = 1.0 - 10 ** RNG.uniform(-15, -1, 200)
HELPERS = [
    ("digamma", special._digamma, sc.digamma, REALS, 1e-11),  # near its poles (reflection)
    ("polygamma1", lambda x: special._polygamma(1, x), lambda x: sc.polygamma(1, x), REALS, 1e-14),
    ("polygamma2", lambda x: special._polygamma(2, x), lambda x: sc.polygamma(2, x), REALS, 1e-13),
    ("polygamma4", lambda x: special._polygamma(4, x), lambda x: sc.polygamma(4, x), REALS, 3e-14),
    ("erfinv", special._erfinv, sc.erfinv, np.concatenate([RNG.uniform(-1, 1, 2000), NEAR_ONE, -NEAR_ONE, 10 ** RNG.uniform(-300, -1, 100)]), 1e-15),
    ("log_ndtr", special._log_ndtr, sc.log_ndtr, np.concatenate([RNG.uniform(-60, 8, 2000), RNG.uniform(-25, -15, 300)]), 1e-13),
    ("gammaln", special._lgamma, sc.gammaln, REALS, 1e-11),
    ("gamma", special._gamma, sc.gamma, REALS[np.abs(REALS) < 150], 1e-14),
]  # fmt: skip


@pytest.mark.parametrize(
    "name, ours, reference, points, rtol", HELPERS, ids=[h[0] for h in HELPERS]
)
def test_helpers_agree_with_scipy(name, ours, reference, points, rtol):
    assert _relative_error(ours, reference, points) < rtol


def test_helpers_under_numba_agree_with_plain_python():
    """The same helper source compiled by Numba (arrays and scalars)."""

    def f(x):
        return np.sum(sc.digamma(x) + sc.polygamma(2, x) + sc.erfinv(x / 3.0) + sc.log_ndtr(-8 * x))

    x = np.linspace(0.2, 2.7, 7)
    for mode in ("reverse", "forward"):
        v1, g1 = symdiff.value_and_grad(f, mode=mode, jit=True)(x)
        v2, g2 = symdiff.value_and_grad(f, mode=mode, jit=False)(x)
        assert v1 == pytest.approx(v2, rel=1e-14) and np.allclose(g1, g2, rtol=1e-13)
        assert v1 == pytest.approx(f(x), rel=1e-13)


POLES = [
    # (function, point, value as SciPy, derivative)
    (lambda x: sc.gammaln(x), 0.0, math.inf, -math.inf),
    (lambda x: sc.digamma(x), -1.0, math.nan, math.inf),
    (lambda x: sc.digamma(x), 0.0, -math.inf, math.inf),
    (lambda x: sc.erfinv(x), 1.0, math.inf, math.inf),
    (lambda x: sc.xlogy(x, 0.0), 0.0, 0.0, -math.inf),  # d/dx = log(y)
]


@pytest.mark.parametrize("fn, point, value, derivative", POLES)
def test_values_and_derivatives_at_poles(fn, point, value, derivative):
    got, slope = symdiff.value_and_grad(fn, jit=False)(point)
    assert got == pytest.approx(value, nan_ok=True) and float(fn(point)) == pytest.approx(
        value, nan_ok=True
    )
    assert slope == pytest.approx(derivative, nan_ok=True)


EDGES = [
    # (helper, point, SciPy's value)
    (special._digamma, -math.inf, math.nan),
    (special._digamma, math.inf, math.inf),
    (special._digamma, math.nan, math.nan),
    (lambda x: special._polygamma(1, x), math.inf, 0.0),
    (lambda x: special._polygamma(2, x), 1e300, -0.0),
    (special._erfinv, -1.0, -math.inf),
    (special._erfinv, 1.5, math.nan),
    (special._erfinv, -0.0, -0.0),
    (special._log_ndtr, math.inf, -0.0),
    (special._log_ndtr, -math.inf, -math.inf),
    (special._gamma, 0.0, math.inf),
    (special._gamma, -2.0, math.nan),
    (special._lgamma, -3.0, math.inf),
]


@pytest.mark.parametrize("helper, point, value", EDGES)
def test_helpers_at_infinities_and_poles(helper, point, value):
    got = helper(point)
    assert got == pytest.approx(value, nan_ok=True) and math.copysign(1, got) == math.copysign(
        1, value
    )


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_xlogy_at_x_zero(mode):
    """0 where x == 0; d/dx is log(y) (exact: x log y is linear in x), d/dy is 0."""
    gx, gy = symdiff.grad(lambda x, y: sc.xlogy(x, y), (0, 1), mode=mode, jit=False)(0.0, 2.0)
    assert gx == pytest.approx(math.log(2.0)) and gy == 0.0
    gx, gy = symdiff.grad(lambda x, y: sc.xlog1py(x, y), (0, 1), mode=mode, jit=False)(0.0, -1.0)
    assert gx == -math.inf and gy == 0.0


def test_log_ndtr_far_tail_is_finite():
    """Where ndtr underflows to 0, log_ndtr and its derivative stay accurate."""
    x = np.array([-40.0, -100.0, -1e3])
    value, slope = symdiff.value_and_grad(lambda x: np.sum(sc.log_ndtr(x)), jit=False)(x)
    assert value == pytest.approx(np.sum(sc.log_ndtr(x)), rel=1e-13)
    # pdf / cdf: about -x (exp of a difference of numbers of size x**2: 1e-10 relative)
    assert np.allclose(slope, np.exp(st.norm.logpdf(x) - sc.log_ndtr(x)), rtol=1e-9)


def test_polygamma_order_must_be_an_int():
    def f(x):
        return sc.polygamma(1.5, x)  # ERR

    with pytest.raises(symdiff.SymDiffError) as info:
        symdiff.grad(f, jit=False)(1.0)
    assert "int order n" in str(info.value) and "test_numpy_special.py" in str(info.value)


def test_t_cdf_in_df_is_refused_at_the_users_line():
    def f(x, df):
        return st.t.cdf(x, df)

    with pytest.raises(symdiff.SymDiffError) as info:
        symdiff.grad(f, (0, 1), jit=False)(1.0, 3.0)
    assert "degrees of freedom" in str(info.value) and "st.t.cdf(x, df)" in str(info.value)
    assert symdiff.grad(f, jit=False)(1.0, 3.0) == pytest.approx(st.t.pdf(1.0, 3.0), rel=1e-13)


def test_norm_logpdf_reads_like_the_textbook():
    def f(x, mu):
        return np.sum(st.norm.logpdf(x, loc=mu))

    source = symdiff.derivative_source(f, np.ones(3), 0.5)
    assert "exp" not in source and "erf" not in source
    x = np.array([0.1, -0.4, 2.0])
    assert symdiff.grad(f, 1, jit=False)(x, 0.5) == pytest.approx(np.sum(x - 0.5))
