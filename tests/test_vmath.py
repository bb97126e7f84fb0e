"""symdiff.vmath: NumPy's exp and log in plain Python, vectorised kernels
under Numba; their accuracy (within 2 ulp of NumPy and of mpmath), their IEEE
edges, float32, layouts, and their use by generated code."""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.special

import symdiff
from symdiff import vmath

ROOT = Path(__file__).resolve().parents[1]
TINY = np.finfo(np.float64).tiny
SMALLEST = np.nextafter(0.0, 1.0)  # the smallest subnormal


@pytest.fixture(scope="module")
def compiled():
    """vmath.exp and vmath.log compiled by Numba (one dispatcher each)."""
    import numba

    vmath.register_numba()
    return {
        "exp": numba.njit(error_model="numpy")(lambda x: vmath.exp(x)),
        "log": numba.njit(error_model="numpy")(lambda x: vmath.log(x)),
    }


def ulps(got, want):
    """|got - want| in units of the last place of ``want`` (subnormals: of the
    smallest subnormal); 0 where both are the same inf, 0 or nan."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(invalid="ignore"):
        error = np.abs(got - want) / np.spacing(np.abs(want))
    return np.where(same, 0.0, error)


def exp_inputs():
    rng = np.random.default_rng(12)
    boundaries = [709.782712893384, 709.7827128933841, -708.3964185322641, -708.39641853226,
                  -745.1332191019411, -745.1332191019412, -744.44007192138, -1074 * math.log(2)]  # fmt: skip
    near = [np.nextafter(b, s) for b in boundaries for s in (-np.inf, np.inf)]
    halfway = (np.arange(-1080, 1030) + 0.5) * math.log(2)  # r = +-ln2/2: the reduction's edge
    return np.concatenate(
        [
            rng.uniform(-760.0, 720.0, 20_000),
            rng.normal(size=5_000) * 3.0,
            rng.uniform(-1e-8, 1e-8, 500),
            np.ldexp(rng.uniform(0.5, 1.0, 400), rng.integers(-1074, 0, 400)),  # tiny |x|
            boundaries,
            near,
            halfway,
            np.nextafter(halfway, 0.0),
            np.arange(-1100, 1100) * math.log(2),
            [0.0, -0.0, SMALLEST, -SMALLEST, 1.0, -1.0, 1e300, -1e300],
        ]
    )


def log_inputs():
    rng = np.random.default_rng(13)
    exponents = rng.integers(-1074, 1024, 20_000)
    return np.concatenate(
        [
            np.ldexp(rng.uniform(0.5, 1.0, exponents.size), exponents),  # the whole range
            1.0 + rng.uniform(-1e-3, 1e-3, 2_000),  # log near 0: relative accuracy
            1.0 + rng.normal(size=500) * 1e-12,
            rng.uniform(0.7, 1.45, 3_000),  # around the split at sqrt(2) and sqrt(1/2)
            np.nextafter(np.sqrt([2.0, 0.5]), np.inf),
            np.nextafter(np.sqrt([2.0, 0.5]), 0.0),
            np.ldexp(1.0, np.arange(-1074, 1024)),  # powers of two, subnormals included
            np.arange(1, 4000) * SMALLEST,
            [TINY, np.nextafter(TINY, 0.0), np.finfo(np.float64).max, 1.0, math.e],
        ]
    )


def test_exp_is_within_two_ulp_of_numpy(compiled):
    x = exp_inputs()
    got = compiled["exp"](x)
    with np.errstate(over="ignore"):
        want = np.exp(x)
    finite = np.isfinite(want)
    assert np.max(ulps(got, want)[finite]) <= 2.0
    # at the overflow threshold NumPy may round to inf where a 1 ulp error is the largest float
    assert np.all((got[~finite] == np.inf) | (x[~finite] < 709.7827128933841))


def test_log_is_within_two_ulp_of_numpy(compiled):
    x = log_inputs()
    assert np.max(ulps(compiled["log"](x), np.log(x))) <= 2.0


def test_exp_and_log_agree_with_mpmath(compiled):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    rng = np.random.default_rng(14)
    x = np.concatenate([rng.uniform(-745.0, 709.0, 600), np.nextafter(-708.4, 0.0) - np.arange(8)])
    want = np.array([float(mpmath.exp(mpmath.mpf(v))) for v in x])
    assert np.max(ulps(compiled["exp"](x), want)) <= 2.0
    y = np.ldexp(rng.uniform(0.5, 1.0, 600), rng.integers(-1074, 1024, 600))
    want = np.array([float(mpmath.log(mpmath.mpf(v))) for v in y])
    assert np.max(ulps(compiled["log"](y), want)) <= 2.0


@pytest.mark.parametrize(
    "name, x, want",
    [
        ("exp", [np.inf, -np.inf, np.nan, 710.0, 1e308, -746.0, -1e308], [np.inf, 0.0, np.nan, np.inf, np.inf, 0.0, 0.0]),
        ("exp", [0.0, -0.0, SMALLEST, -SMALLEST], [1.0, 1.0, 1.0, 1.0]),
        ("exp", [-745.0, -740.0, -720.0, -709.0], np.exp([-745.0, -740.0, -720.0, -709.0])),  # subnormal and tiny results
        ("log", [0.0, -0.0, -1.0, -np.inf, -SMALLEST, np.nan, np.inf], [-np.inf, -np.inf, np.nan, np.nan, np.nan, np.nan, np.inf]),
        ("log", [SMALLEST, 1e-310, TINY, 1.0], np.log([SMALLEST, 1e-310, TINY, 1.0])),
    ],
)  # fmt: skip
def test_ieee_edges(compiled, name, x, want):
    got = compiled[name](np.array(x))
    np.testing.assert_array_equal(got, np.array(want))
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("name", ["exp", "log"])
def test_float32_arrays_stay_float32(compiled, name):
    rng = np.random.default_rng(15)
    x = rng.uniform(-90.0, 90.0, 5_000) if name == "exp" else rng.uniform(0.0, 1e38, 5_000)
    x = np.concatenate([x, [0.0, np.inf, -np.inf, np.nan, 1e-45]]).astype(np.float32)
    got = compiled[name](x)
    assert got.dtype == np.float32
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x.astype(np.float64)).astype(np.float32)  # rounded once
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(invalid="ignore"):
        close = np.abs(got - want) <= np.spacing(np.abs(want))
    assert np.all(same | close)


def test_layouts_shapes_and_dtypes(compiled):
    x = np.arange(24.0).reshape(2, 3, 4) / 7.0
    for view in (x.T, x[:, ::2]):  # Fortran order, strided (a copy is made)
        np.testing.assert_allclose(compiled["exp"](view), np.exp(view), rtol=3e-16)
        np.testing.assert_allclose(compiled["log"](view + 1.0), np.log(view + 1.0), rtol=3e-16)
    assert compiled["exp"](np.zeros(0)).shape == (0,)
    ints = compiled["exp"](np.arange(4))
    assert ints.dtype == np.float64 and np.allclose(ints, np.exp(np.arange(4)))
    assert compiled["log"](2.0) == np.log(2.0)  # scalars: NumPy's function, compiled


def test_plain_python_is_numpy():
    x = np.linspace(-3.0, 3.0, 7)
    assert np.array_equal(vmath.exp(x), np.exp(x))
    assert np.array_equal(vmath.log(x + 4.0), np.log(x + 4.0))
    assert vmath.FUNCTIONS == ("exp", "log")


def softmax_loss(w, x):
    z = x * w
    return np.sum(np.log(np.sum(np.exp(z)) + math.exp(w[0])))


def test_generated_code_calls_vmath_on_arrays_and_math_on_scalars():
    w, x = np.array([0.3, -0.2, 0.5]), np.array([1.0, 2.0, -1.0])
    source = symdiff.derivative_source(softmax_loss, w, x)
    assert "from symdiff import vmath" in source
    assert "vmath.exp(z)" in source and "math.exp(w[0])" in source
    assert "np.exp" not in source
    forward = symdiff.derivative_source(softmax_loss, w, x, mode="forward")
    assert "vmath.exp(z)" in forward
    plain = symdiff.grad(softmax_loss, jit=False)(w, x)
    jitted = symdiff.grad(softmax_loss)(w, x)
    np.testing.assert_allclose(jitted, plain, rtol=1e-14)
    total = np.sum(np.exp(x * w)) + math.exp(w[0])
    want = x * np.exp(x * w) / total + np.array([math.exp(w[0]) / total, 0.0, 0.0])
    np.testing.assert_allclose(plain, want, rtol=1e-14)


def test_expit_of_an_array_uses_vmath():
    source = symdiff.derivative_source(lambda x: np.sum(scipy.special.expit(x)), np.ones(3))
    assert "vmath.exp(-x)" in source


def test_compiled_vmath_code_is_cached_on_disk(tmp_path):
    """Numba's on-disk cache keeps code calling vmath: a second process loads it."""
    code = (
        "import numpy as np\n"
        "from symdiff import backend\n"
        "src = 'from symdiff import vmath\\n\\ndef e(x):\\n    return vmath.exp(x) + vmath.log(x)\\n'\n"
        "fn = backend.compile_source(src, 'e', wait=True)\n"
        "assert abs(fn(np.ones(3))[0] - np.e) < 1e-15\n"
        "print(sum(fn.stats.cache_hits.values()))\n"
    )  # fmt: skip
    env = dict(os.environ, SYMDIFF_CACHE_DIR=str(tmp_path), NUMBA_CACHE_DIR=str(tmp_path / "nb"))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    hits = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        hits.append(int(done.stdout.split()[-1]))
    assert hits == [0, 1]
