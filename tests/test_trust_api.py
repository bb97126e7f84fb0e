"""Trust fixes in the API, the checker and the rule table: copies in forward
mode, exact derivatives at special points, array jvp/vjp, printed forward
source, SymPy budgets and paths as the user gave them."""

import numpy as np
import pytest

from symdiff import grad
from symdiff.verify import finite_difference

from . import trust_api_cases as c

X3 = np.array([0.3, 0.5, 0.7])


def numeric_grad(fn, args, argnums):
    """Finite-difference gradient, shaped like each argument."""
    out = []
    for i in argnums:
        shape = np.shape(args[i])
        g = np.zeros(shape)
        for element in np.ndindex(*shape):
            g[element] = finite_difference(fn, list(args), i, element=element)
        out.append(g if shape else float(g))
    return tuple(out)


def assert_close(got, want, rtol=1e-7, atol=1e-9):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g, dtype=float), w, rtol=rtol, atol=atol)


COPY_CASES = [
    c.copy_after_loop,
    c.np_copy_after_loop,
    c.copy_no_loop,
    c.copy_in_loop,
    c.copy_of_argument,
    c.copy_then_loop_writes,
]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("fn", COPY_CASES, ids=lambda f: f.__name__)
def test_a_copy_written_later_leaves_the_original_alone(fn, mode):
    args = (X3.copy(), 2.0)
    got = grad(fn, argnums=(0, 1), mode=mode, jit=False)(*args)
    assert_close(got, numeric_grad(fn, args, (0, 1)))


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_copy_after_loop_compiled(mode):
    got = grad(c.copy_after_loop, argnums=(0, 1), mode=mode)(X3.copy(), 2.0)
    assert_close(got, (np.array([0.0, 1.0, 0.0]), 5.0))


def product_of_others(x):
    """d np.prod(x) / dx by brute force: each element's product of the others."""
    flat = x.ravel()
    return np.array([np.prod(np.delete(flat, i)) for i in range(flat.size)]).reshape(x.shape)


ZERO_POINTS = [
    np.array([0.0, 2.0]),
    np.array([0.0, 0.0, 2.0]),
    np.array([3.0, -1.5, 0.0, 2.0]),
    np.array([1.5, -2.0, 0.5]),
    np.array([[0.0, 2.0], [3.0, 0.5]]),
]


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("x", ZERO_POINTS, ids=lambda x: str(x.tolist()))
def test_prod_is_exact_at_zeros(x, mode, jit):
    got = grad(c.prod_all, mode=mode, jit=jit)(x)
    np.testing.assert_allclose(got, product_of_others(x), rtol=1e-15)
    assert np.all(np.isfinite(got))


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_prod_at_zero_does_not_leak_nan_into_other_arguments(mode):
    x = np.array([0.0, 2.0, 3.0])
    gx, gs = grad(c.prod_times, argnums=(0, 1), mode=mode, jit=False)(x, 1.5)
    np.testing.assert_allclose(gx, 1.5 * product_of_others(x) + 1.5)
    assert gs == pytest.approx(0.0 + 5.0)


A_ZEROS = np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.5], [0.0, 0.0, 2.0], [1.5, -1.0, 2.5]])


PROD_AXIS_CASES = [
    (c.prod_axis0, False),
    (c.prod_axis1, False),
    (c.prod_keepdims, False),
    (c.prod_keepdims_all, False),
    (c.prod_keepdims, True),
]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("fn, jit", PROD_AXIS_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_prod_along_an_axis_is_exact_at_zeros(fn, jit, mode):
    got = grad(fn, mode=mode, jit=jit)(A_ZEROS)
    assert np.all(np.isfinite(got))
    assert_close((got,), numeric_grad(fn, (A_ZEROS,), (0,)), rtol=1e-6, atol=1e-8)


# (function, point, hand-derived gradient with respect to every argument)
SPECIAL_POINTS = [
    (c.int_power0, (0.0,), (0.0,)),  # x ** 0 is 1: derivative 0, also at 0
    (c.int_power1, (0.0,), (1.0,)),
    (c.int_power2, (0.0,), (0.0,)),
    (c.np_power0, (np.array([0.0, 2.0]),), (np.array([0.0, 0.0]),)),
    (c.power, (0.0, 2.0), (0.0, 0.0)),  # d/dy 0 ** y is 0 for y > 0 (as JAX)
    (c.power, (0.0, 1.0), (1.0, 0.0)),
    (c.power, (0.0, 0.0), (0.0, 0.0)),
    (c.power, (2.0, 0.0), (0.0, np.log(2.0))),
    (c.power, (0.0, 0.5), (np.inf, 0.0)),  # d/dx sqrt at 0 is inf
    (c.zero_base, (2.0,), (0.0,)),
    (c.math_pow, (0.0, 3.0), (0.0, 0.0)),
    (c.array_power, (np.array([0.0, 2.0]), 2.0), (np.array([0.0, 4.0]), 4.0 * np.log(2.0))),
    (c.array_power, (np.array([0.0, 2.0]), 0.0), (np.array([0.0, 0.0]), np.log(2.0))),
    (c.hypot, (0.0, 0.0), (0.0, 0.0)),  # as abs at 0
    (c.hypot, (3.0, 0.0), (1.0, 0.0)),
    (
        c.array_hypot,
        (np.array([0.0, 3.0]), np.array([0.0, 4.0])),
        (np.array([0.0, 0.6]), np.array([0.0, 0.8])),
    ),
    (c.atan2, (0.0, 0.0), (0.0, 0.0)),
    (c.atan2, (0.0, 2.0), (0.5, 0.0)),
    (c.sqrt, (0.0,), (np.inf,)),  # the documented convention
]
COMPILED = {c.power, c.array_power, c.array_hypot}


def special_point_cases():
    for fn, point, want in SPECIAL_POINTS:
        for jit in (False, True) if fn in COMPILED else (False,):
            for mode in ("forward", "reverse"):
                label = f"{fn.__name__}{point}-{mode}-{'jit' if jit else 'py'}"
                yield pytest.param(fn, point, want, mode, jit, id=label)


@pytest.mark.parametrize("fn, point, want, mode, jit", list(special_point_cases()))
def test_derivatives_at_special_points(fn, point, want, mode, jit):
    argnums = tuple(range(len(point)))
    with np.errstate(all="ignore"):
        got = grad(fn, argnums=argnums, mode=mode, jit=jit)(*point)
    assert_close(got, want, rtol=1e-14, atol=0.0)
