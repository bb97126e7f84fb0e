"""Random draws wherever the generator comes from (passed down through
helpers' parameters, closures, containers, defaults): the gradient is that
of the function with the same draws, and one gradient call consumes the
generator as one call of the function does, with Numba too."""

import linecache

import numpy as np
import pytest

from symdiff import grad, value_and_grad
from symdiff.errors import SymDiffError

from . import draws_more_cases as cases
from . import random_cases

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


LAYERS = [
    (np.eye(3) * 0.5 + 0.1, np.array([0.1, 0.2, -0.3])),
    (np.ones((3, 3)) * 0.2, np.array([0.0, -0.1, 0.4])),
]

# draws in loops: the prologue runs the loop and records each iteration's draws
LOOP_ROWS = [
    (cases.monte_carlo, (W, 4, RS)),
    (cases.masked_steps, (W, 6, RS)),
    (cases.shrinking_noise, (W, 3, RS)),
    (cases.dropout_layers, (W, LAYERS, RS)),
    (random_cases.draw_in_loop, (W, RS)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, args", LOOP_ROWS, ids=lambda v: getattr(v, "__name__", ""))
def test_draws_inside_loops(fn, args, mode):
    check(fn, args, mode, jit=False)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("row", LOOP_ROWS[:2], ids=lambda r: r[0].__name__)
def test_draws_inside_loops_with_numba(row, mode):
    check(*row, mode, jit=True)


def test_the_prologue_records_a_loop_s_draws():
    source = grad(cases.masked_steps, jit=False).source(W, 6, np.random.RandomState(0))
    assert "def masked_steps_draws(w, steps, rs):" in source
    assert "mask_tape = np.zeros((len(range(1, steps, 2)), 3), np.int64)" in source
    assert "mask_tape[(_t - 1) // 2] = mask" in source
    assert "mask = mask_tape[t1]" in source
    assert "np.tanh" not in source.split("def masked_steps_draws")[1]  # only the draws


ERRORS = [
    (cases.sized_by_a_carried_value, "must be known before the loop"),
    (cases.drawn_in_a_branch, "inside branches are not supported"),
    (cases.drawn_in_a_while_loop, "inside a `while` loop or a nested loop"),
    (cases.drawn_until_break, "can stop early"),
]


@pytest.mark.parametrize("fn, message", ERRORS, ids=lambda v: getattr(v, "__name__", ""))
def test_draws_symdiff_cannot_record_are_clear_errors(fn, message):
    with pytest.raises(SymDiffError, match=message) as info:
        grad(fn, jit=False)(W.copy(), np.random.RandomState(0))
    line = int(str(info.value).split("draws_more_cases.py:")[1].split(":")[0])
    assert "# ERR:" in linecache.getline(cases.__file__, line)
