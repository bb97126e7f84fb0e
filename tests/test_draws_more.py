"""Random draws wherever the generator comes from (passed down through
helpers' parameters, closures, containers, defaults): the gradient is that
of the function with the same draws, and one gradient call consumes the
generator as one call of the function does, with Numba too."""

import numpy as np
import pytest

from symdiff import value_and_grad

from . import draws_more_cases as cases

MODES = ("reverse", "forward")
W = np.array([0.3, -0.7, 1.1])


def reseed(seed):
    cases.SEED.seed(seed)
    cases.CONFIG["rs"].seed(seed)
    cases.drawn_by_default.__defaults__[0].seed(seed)


def generators(args):
    found = [a for a in args if isinstance(a, np.random.RandomState)]
    return found + [cases.SEED, cases.CONFIG["rs"], cases.drawn_by_default.__defaults__[0]]


def call(fn, args, seed):
    """``fn(*args)`` with every generator seeded ``seed``; its value and what
    each generator draws next."""
    reseed(seed)
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    args = [np.random.RandomState(seed) if a is RS else a for a in args]
    value = fn(*args)
    return value, [g.random_sample() for g in generators(args)]


RS = object()  # where a fresh generator goes in a row's arguments


def with_step(args, index, step):
    moved = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    moved[0][index] += step
    return moved


def check(fn, args, mode, jit, h=1e-6):
    df = value_and_grad(fn, mode=mode, jit=jit)
    call(df, args, 3)  # compiles
    (value, gradient), after_grad = call(df, args, 7)
    expected, after_call = call(fn, args, 7)
    assert value == pytest.approx(expected, rel=1e-13)
    assert after_grad == after_call
    reference = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        up, _ = call(fn, with_step(args, index, h), 7)
        down, _ = call(fn, with_step(args, index, -h), 7)
        reference[index] = (up - down) / (2 * h)
    np.testing.assert_allclose(gradient, reference, rtol=1e-6, atol=1e-8)


ROWS = [
    (cases.through_a_helper, (W, 2, 3, RS)),
    (cases.global_through_a_helper, (W, 4)),
    (cases.container_through_a_helper, (W,)),
    (cases.default_generator, (W,)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, args", ROWS, ids=lambda v: getattr(v, "__name__", ""))
def test_generators_passed_down_through_helpers(fn, args, mode):
    check(fn, args, mode, jit=False)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("row", [ROWS[0], ROWS[3]], ids=lambda r: r[0].__name__)
def test_generators_passed_down_with_numba(row, mode):
    check(*row, mode, jit=True)


@pytest.mark.parametrize("mode", MODES)
def test_a_closure_generator_passed_to_a_helper(mode):
    rs = np.random.RandomState(5)
    df = value_and_grad(cases.closure_through_a_helper(rs), mode=mode, jit=False)
    rs.seed(5)
    value, _ = df(W)
    rs.seed(5)
    assert value == pytest.approx(cases.closure_through_a_helper(rs)(W), rel=1e-13)
