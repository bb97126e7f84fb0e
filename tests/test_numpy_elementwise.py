"""The elementwise long tail, rounding, comparisons, casts and constants
(``symdiff.library.ufuncs``, ``symdiff.primitives.special``): each as
users call it, both modes, plain and compiled, against NumPy and finite
differences (``numpy_table``), the conventions at non-differentiable
points, the errors, and the names of functions symdiff does not know."""

import math

import numpy as np
import pytest
import scipy.special as sc
from numpy.linalg import eig

import symdiff
from symdiff import SymDiffError, UnknownFunctionError

from .numpy_table import Row, check, distinct, normal, params, positive

VECTORS = [((5,),), ((3, 4),), ((2, 3, 4),)]
SHAPES = [((),), *VECTORS]


def off_grid(rng, shape):
    """Between multiples of 0.7: away from the jumps of mod by 0.7 and of
    clip at +-0.5, where finite differences see a step."""
    value = 0.7 * rng.integers(-4, 4, shape) + rng.uniform(0.1, 0.25, shape)
    return value if shape != () else float(value)


def fractional(rng, shape):
    """Away from integers and halves (the jumps of floor, round, astype(int)),
    and from multiples of 0.1 (round(x, 1))."""
    value = (
        rng.integers(-3, 3, shape)
        + 0.1 * rng.integers(1, 4, shape)
        + rng.uniform(0.01, 0.04, shape)
    )
    return value if shape != () else float(value)


def away_from_zero(rng, shape):
    value = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    return value if shape != () else float(value)


def with_nans(rng, shape):
    """Normal values with nan, inf and -inf among them (not differentiated through)."""
    value = rng.standard_normal(shape)
    flat = value.reshape(-1)
    flat[: min(3, flat.size)] = [np.nan, np.inf, -np.inf][: min(3, flat.size)]
    return value


TABLE = [
    Row("square", lambda x: np.square(x), SHAPES, jit=False),
    Row("reciprocal", lambda x: np.reciprocal(x), SHAPES[:3], domain=away_from_zero, jit=False),
    Row("exp2", lambda x: np.exp2(x), SHAPES[:3]),
    Row("sinc", lambda x: np.sinc(x), SHAPES[:3]),
    Row("deg2rad-rad2deg", lambda x: np.deg2rad(x) * np.rad2deg(x) + np.radians(x) + np.degrees(x), [((4,),), ((),)], jit=False),
    Row("fmax-fmin", lambda x, y: np.fmax(x, y) * np.fmin(x, y), [((5,), (5,)), ((3, 4), (4,)), ((), ())], domain=distinct),
    Row("mod", lambda x: np.mod(x, 0.7) + np.remainder(x, -0.7), [((5,),), ((3, 4),)], domain=off_grid),
    Row("mod-divisor", lambda x, y: np.mod(x, y), [((4,), ())], domain=(off_grid, lambda rng, s: 0.7 + 0.01 * float(rng.uniform())), jit=False),
    Row("fmod", lambda x: np.fmod(x, 0.7) * np.fmod(-x, 0.7), [((5,),), ((3, 4),), ((),)], domain=off_grid),
    Row("fmod-divisor", lambda x, y: np.fmod(x, y), [((4,), ())], domain=(off_grid, lambda rng, s: 0.7 + 0.01 * float(rng.uniform())), jit=False),
    Row("clip-keywords", lambda x: np.clip(x, a_min=-0.5, a_max=0.5), [((5,),), ((3, 4),)], domain=off_grid),
    Row("clip-min-only", lambda x: np.clip(x, -0.5, None), [((5,),), ((),)], domain=off_grid, jit=False),
    Row("clip-max-only", lambda x: np.clip(x, max=0.5), [((5,),)], domain=off_grid, jit=False),
    Row("clip-bounds", lambda x, lo: np.clip(x, lo, lo + 1.0), [((5,), ()), ((3, 4), (4,))], domain=(off_grid, lambda rng, s: np.full(s, -0.05) if s else -0.05)),
    Row("nan_to_num", lambda x, v: np.nan_to_num(x * 1.0, nan=v, posinf=2.0 * v, neginf=-3.0), [((6,), ())], argnums=(1,), domain=(with_nans, normal)),
    Row("float_power", lambda x, y: np.float_power(x, y), [((5,), ()), ((3, 4), (4,))], domain=positive, jit=False),
    Row("positive", lambda x: np.positive(x) * x, [((5,),)], jit=False),
    Row("heaviside", lambda x, h: np.heaviside(x, h) * x, [((5,), ())], domain=(away_from_zero, normal), jit=False),
    Row("rounding", lambda x: (np.floor(x) + np.ceil(x) + np.rint(x) + np.trunc(x) + np.round(x)) * x, SHAPES, domain=fractional),
    Row("round-decimals", lambda x: np.round(x, 1) * x + np.around(x, decimals=-1), [((5,),)], domain=fractional, jit=False),
    Row("comparisons", lambda x, y: np.where(np.logical_or(np.greater(x, y), np.less_equal(x, -y)), x, y * np.equal(x, x)), [((5,), (5,)), ((3, 4), ())], domain=distinct),
    Row("logical", lambda x: np.where(np.logical_and(x > 0, np.logical_not(np.logical_xor(x > 1, x < 2))), x, -x) * np.not_equal(x, 0.0), [((6,),)], domain=distinct),
    Row("predicates", lambda x: np.where(np.isnan(x), 0.0, x) * np.isfinite(x) + np.isinf(x), [((5,),)], jit=False),
    Row("greater_equal-less", lambda x: x * np.greater_equal(x, 0.1) + x * np.less(x, 0.1), [((5,),)], domain=distinct, jit=False),
    Row("argmax", lambda x: x[np.argmax(x)] * x[x.argmin()], [((5,),)], domain=distinct),
    Row("argmax-axis", lambda x: np.argmax(x, axis=1) * x[:, 0] + np.argmin(x, 0) * x[0], [((4, 4),)], domain=distinct),
    Row("astype", lambda x: x.astype(float) * x.astype(int) + x.astype(np.float64), [((5,),), ((3, 4),)], domain=fractional),
    Row("astype-scalar", lambda x: x.astype(int) * x, [((5,),)], domain=fractional, jit=False),
    Row("arange", lambda x: x * np.arange(x.shape[0]) + np.arange(1.0, 1.5 * x.shape[0] + 1.0, 1.5) * x, [((5,),)]),
    Row("arange-dtype", lambda x: x * np.arange(x.shape[0], dtype=float) + x * np.arange(0, 2 * x.shape[0], 2), [((4,),)], jit=False),
    Row("linspace", lambda a, b: np.linspace(a, b, 5) * np.linspace(a, b, num=4, endpoint=False).sum(), [((), ())], domain=(normal, positive)),
    Row("full_like", lambda x, v: np.full_like(x, v) * x + np.full_like(x, 2.0, dtype=int), [((5,), ()), ((3, 4), ())]),
    Row("zeros_like-ones_like", lambda x: np.ones_like(x, dtype=float) * x + np.zeros_like(x, dtype=np.float64) + np.ones_like(x, dtype=int) * x, [((5,),)], jit=False),
    Row("meshgrid", lambda x, y: np.meshgrid(x, y)[0] * np.meshgrid(x, y)[1] ** 2, [((4,), (3,))]),
    Row("meshgrid-ij", lambda x, y: np.sin(np.meshgrid(x, y, indexing="ij")[0]) * np.meshgrid(x, y, indexing="ij")[1], [((4,), (3,))], jit=False),
    Row("meshgrid-3", lambda x, y, z: np.meshgrid(x, y, z)[0] * np.meshgrid(x, y, z)[1] * np.meshgrid(x, y, z)[2] + np.sum(np.meshgrid(x, y, z, indexing="ij")[1] ** 2), [((2,), (3,), (4,))], jit=False),
]  # fmt: skip


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_elementwise_function(row, shapes, jit):
    check(row, shapes, jit)


# Conventions at non-differentiable points: (function, point, value, derivatives).
CONVENTIONS = [
    ("sinc at 0", lambda x: np.sinc(x), (0.0,), 1.0, (0.0,)),
    ("fmax with nan", lambda x, y: np.fmax(x, y), (1.5, math.nan), 1.5, (1.0, 0.0)),
    ("fmin with nan", lambda x, y: np.fmin(x, y), (math.nan, 1.5), 1.5, (0.0, 1.0)),
    ("fmax tie", lambda x, y: np.fmax(x, y), (1.5, 1.5), 1.5, (0.5, 0.5)),
    ("clip at a bound", lambda x: np.clip(x, None, 1.0), (1.0,), 1.0, (1.0,)),
    ("clip above", lambda x: np.clip(x, min=0.0), (-1.0,), 0.0, (0.0,)),
    ("nan_to_num of nan", lambda x, v: np.nan_to_num(x, nan=v), (math.nan, 2.0), 2.0, (0.0, 1.0)),
    ("nan_to_num finite", lambda x, v: np.nan_to_num(x, nan=v), (0.5, 2.0), 0.5, (1.0, 0.0)),
    ("heaviside at 0", lambda x, h: np.heaviside(x, h), (0.0, 0.5), 0.5, (0.0, 1.0)),
    ("floor at a jump", lambda x: np.floor(x), (2.0,), 2.0, (0.0,)),
    ("fmod sign of dividend", lambda x, y: np.fmod(x, y), (-2.5, 2.0), -0.5, (1.0, 1.0)),
    ("mod sign of divisor", lambda x, y: np.mod(x, y), (-2.5, 2.0), 1.5, (1.0, 2.0)),
    ("logit at 0.5", lambda p: sc.logit(p), (0.5,), 0.0, (4.0,)),
]  # fmt: skip


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize(
    "name, fn, point, value, derivatives", CONVENTIONS, ids=[c[0] for c in CONVENTIONS]
)
def test_convention(name, fn, point, value, derivatives, mode):
    argnums = tuple(range(len(point)))
    got, grads = symdiff.value_and_grad(fn, argnums, mode=mode, jit=False)(*point)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert float(got) == pytest.approx(value) and float(fn(*point)) == pytest.approx(value)
    assert tuple(float(g) for g in grads) == pytest.approx(derivatives)


def test_sinc_gradient_at_zero_in_an_array_is_not_nan():
    x = np.array([0.0, 0.5, -1.25])
    for mode in ("reverse", "forward"):
        g = symdiff.grad(lambda x: np.sum(np.sinc(x)), mode=mode, jit=True)(x)
        t = np.pi * x[1:]
        assert g[0] == 0.0 and np.allclose(g[1:], np.pi * (np.cos(t) / t - np.sin(t) / t**2))


def test_constants_have_no_adjoint_code():
    def f(x):
        return np.sum(x * np.arange(x.shape[0]) * np.floor(x))

    source = symdiff.derivative_source(f, np.ones(3))
    assert "floor" in source and source.count("np.arange") == 1


# Errors designed here: (function, args, words of the message).
def _clip_out(x):
    return np.clip(x, 0.0, 1.0, out=x)


def _clip_nothing(x):
    return np.clip(x)


def _astype_complex(x):
    return x.astype(np.complex128)


def _linspace_retstep(x):
    return np.linspace(0.0, x, 3, retstep=True)


def _meshgrid_sparse(x):
    return np.meshgrid(x, x, sparse=True)[0]


def _meshgrid_four(x):
    return np.meshgrid(x, x, x, x)[0]


def _meshgrid_indexing(x):
    return np.meshgrid(x, x, indexing="yx")[0]


def _arange_dtype(x):
    return np.arange(3, dtype=np.float32) * x


def _arange_zero_step(x):
    return np.arange(0, 3, 0) * x


def _argmax_scalar(x):
    return np.argmax(x) * x


ERRORS = [
    (_clip_out, "out=", "np.clip(x, 0.0, 1.0, out=x)"),
    (_clip_nothing, "needs a bound", "a_min="),
    (_astype_complex, "dtype is not supported", "np.float64"),
    (_linspace_retstep, "retstep=", "np.linspace(0.0, x, 3, retstep=True)"),
    (_meshgrid_sparse, "sparse=True", "leave sparse out"),
    (_meshgrid_four, "2 or 3 arrays", "np.meshgrid(x, x, x, x)"),
    (_meshgrid_indexing, "indexing='xy' or 'ij'", 'np.meshgrid(x, x, indexing="yx")'),
    (_arange_dtype, "dtype=", "dtype=float"),
    (_arange_zero_step, "step must not be 0", "np.arange(0, 3, 0)"),
]


@pytest.mark.parametrize("fn, words, shown", ERRORS, ids=[e[0].__name__ for e in ERRORS])
def test_errors_name_the_users_call(fn, words, shown):
    with pytest.raises(SymDiffError) as info:
        symdiff.grad(lambda x: np.sum(fn(x)), jit=False)(np.ones(3))
    message = str(info.value)
    assert words in message and shown in message and "test_numpy_elementwise.py" in message
    assert "symdiff/library" not in message and "Traceback" not in message


def test_argmax_of_a_number_is_refused():
    with pytest.raises(SymDiffError, match="need an array"):
        symdiff.grad(_argmax_scalar, jit=False)(1.0)


# Unknown functions name themselves as the user wrote them.
def _fft(x):
    return np.sum(np.fft.fft(x).real)


def _special_iv(x):
    return np.sum(sc.iv(1.0, x))


def _imported_eig(x):
    return np.sum(eig(np.outer(x, x))[0])


def _ufunc(x):
    return np.sum(np.spacing(x))


def _misspelled(x):
    return np.sum(sc.gammaincc(1.0, x))


UNKNOWN = [
    (_fft, "no derivative rule for np.fft.fft()", None),
    (_special_iv, "no derivative rule for sc.iv() (scipy.special.iv)", None),
    (_imported_eig, "no derivative rule for eig() (np.linalg.eig)", None),
    (_ufunc, "no derivative rule for np.spacing()", None),
    (_misspelled, "no derivative rule for sc.gammaincc()", "did you mean scipy.special.gammaln"),
]


@pytest.mark.parametrize("fn, message, near", UNKNOWN, ids=[u[0].__name__ for u in UNKNOWN])
def test_unknown_functions_are_named_as_written(fn, message, near):
    with pytest.raises(UnknownFunctionError) as info:
        symdiff.grad(fn, jit=False)(np.array([0.5, 1.5]))
    text = str(info.value)
    assert message in text and "symdiff.supported_functions()" in text
    assert "_linalg" not in text and "_basic" not in text and len(text) < 900
    if near is not None:
        assert near in text


def test_supported_functions_lists_what_is_known():
    names = symdiff.supported_functions()
    assert {"np.sin", "math.lgamma", "scipy.special.erfinv", "np.clip", "np.var"} <= set(names)
    assert {"scipy.stats.norm.logpdf", "np.meshgrid", "x.astype()", "x.sum()"} <= set(names)
    assert names == sorted(set(names), key=names.index)  # no duplicates
