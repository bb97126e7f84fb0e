"""Loops (issue #5): every construct in both modes against finite differences
(and SymPy where the unrolled expression stays small), with and without Numba;
loops stay loops in the generated code; gradients called from user @njit code;
writes into arrays in place only where that is safe."""

import math

import numba
import numpy as np
import pytest

import symdiff
from symdiff import check_grad, grad, value_and_grad
from symdiff.verify import finite_difference, float_argnums

from . import loop_cases as lc

rng = np.random.default_rng(11)


def r(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape)


# (function, arguments, compare with SymPy?): every float argument is differentiated.
CASES = [
    (lc.rosenbrock, (r(5),), True),
    (lc.sum_of_squares, (r(4),), True),
    (lc.newton_sqrt, (2.0,), True),
    (lc.fibonacci, (1.3, 7), True),
    (lc.strided, (r(6), 6), True),
    (lc.strided, (r(6), 5), False),
    (lc.bounds_from_args, (r(6), 1, 4), True),
    (lc.bounds_from_args, (r(6), 4, 1), False),  # no iterations
    (lc.nested, (r(3, 2), r(2)), True),
    (lc.break_continue, (np.array([0.3, -0.2, 0.5, 0.9, 0.1]),), True),
    (lc.break_continue, (np.array([0.3, -0.2, 0.5, 2.9, 0.1]),), True),  # breaks
    (lc.while_break, (1.5, 1.3), True),
    (lc.while_break, (0.5, 0.9), False),  # runs all 50 iterations: the tape grows
    (lc.branch_in_loop, (r(5),), True),
    (lc.rnn, (r(3, 3), r(3), r(3), r(4)), False),
    (lc.writes, (r(4),), True),
    (lc.writes_2d, (r(3), r(2)), True),
    (lc.accumulate, (r(5), 0.7), True),
    (lc.recurrence, (r(5),), True),
    (lc.euler, (1.2, 0.8, 5), True),
    (lc.int_index, (r(5),), True),
    (lc.copy_then_write, (r(4),), True),
    (lc.power_iteration, (np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([1.0, 0.3])), False),
    (lc.helper_in_loop, (r(3),), True),
    (lc.scalar_loop, (0.7,), True),
    (lc.long_while, (0.3,), False),
    (lc.least_squares, (r(3), r(5, 3), r(5)), True),
    (lc.straight_line_writes, (0.7,), True),
    (lc.int_start, (0.7,), True),
    (lc.recurrence_in_branch, (np.array([0.5, -0.3, 0.8, 0.9, 1.1]),), True),
    (lc.row_writes, (r(3), r(3, 2)), True),
]


def _finite_differences(fn, args):
    out = []
    for i in float_argnums(args):
        elements = list(np.ndindex(args[i].shape)) if isinstance(args[i], np.ndarray) else [()]
        values = [finite_difference(fn, args, i, element=e) for e in elements]
        out.append(np.array(values).reshape(np.shape(args[i])))
    return out


def _ids(cases):
    seen: dict = {}
    ids = []
    for fn, *_ in cases:
        seen[fn.__name__] = seen.get(fn.__name__, -1) + 1
        ids.append(f"{fn.__name__}-{seen[fn.__name__]}")
    return ids


@pytest.mark.parametrize("fn, args, sympy", CASES, ids=_ids(CASES))
def test_loop_gradients(fn, args, sympy):
    if sympy:  # reverse, forward, SymPy on the unrolled path and finite differences
        report = check_grad(fn, *args, jit=False)
        assert report.ok, str(report)
        return
    expected = _finite_differences(fn, args)
    argnums = float_argnums(args)
    for mode in ("reverse", "forward"):
        value, grads = value_and_grad(fn, argnums, mode=mode, jit=False)(*args)
        assert value == pytest.approx(fn(*args), rel=1e-12)
        for got, want in zip(grads, expected):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=mode)


COMPILED = [
    (lc.rosenbrock, (r(6),)),
    (lc.newton_sqrt, (3.0,)),
    (lc.break_continue, (np.array([0.3, -0.2, 0.5, 2.9, 0.1]),)),
    (lc.while_break, (0.5, 0.9)),
    (lc.rnn, (r(3, 3), r(3), r(3), r(4))),
    (lc.euler, (1.2, 0.8, 5)),
    (lc.accumulate, (r(5), 0.7)),
    (lc.writes_2d, (r(3), r(2))),
    (lc.power_iteration, (np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([1.0, 0.3]))),
    (lc.recurrence_in_branch, (np.array([0.5, -0.3, 0.8, 0.9, 1.1]),)),
]


@pytest.mark.parametrize("fn, args", COMPILED, ids=_ids(COMPILED))
def test_compiled_with_numba(fn, args):
    argnums = float_argnums(args)
    for mode in ("reverse", "forward"):
        plain = value_and_grad(fn, argnums, mode=mode, jit=False)(*args)
        compiled = value_and_grad(fn, argnums, mode=mode, jit=True)(*args)
        assert compiled[0] == pytest.approx(plain[0], rel=1e-13)
        for a, b in zip(compiled[1], plain[1]):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def _rosenbrock_gradient(x):
    """The gradient written out with NumPy, independently of symdiff."""
    g = np.zeros_like(x)
    t = x[1:] - x[:-1] ** 2
    g[:-1] = -400.0 * x[:-1] * t - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * t
    return g


def test_one_specialisation_serves_every_length():
    g = grad(lc.rosenbrock)
    for n in (10, 10**6):
        x = rng.uniform(-2.0, 2.0, n)
        np.testing.assert_allclose(g(x), _rosenbrock_gradient(x), rtol=1e-12, atol=1e-9)
    assert len(g._spec._impls) == 1
    source = symdiff.derivative_source(lc.rosenbrock, np.ones(10))
    # One loop, no unrolled iterations: no element is indexed by a number.
    assert source.count("for ") == 1
    assert not any(f"x[{k}]" in source for k in range(10))
    assert len(source.splitlines()) < 25


def test_generated_adjoint_loop_reads_like_a_textbook():
    source = symdiff.derivative_source(lc.rosenbrock, np.ones(3))
    body = source[source.index("def rosenbrock_grad") :]
    assert "x_bar = np.zeros_like(x)" in body
    loop = """\
    x_bar = np.zeros_like(x)
    # line 10
    for i in range(x.shape[0] - 1):
        # line 11
        t0 = i + 1
        t1 = x[i]
        t2 = 200.0 * (x[t0] - t1 ** 2)
        x_bar[t0] += t2
        x_bar[i] -= 2 * (1.0 - t1) + t2 * (2 * t1)
    return x_bar
"""
    # the iterations only add into x_bar: the adjoint loop runs forwards, the
    # accumulation into the element ahead first (the order LLVM vectorises)
    assert body.endswith(loop), body
    assert "tape" not in body  # nothing to record: each iteration is recomputed from x
    # The primal loop is not needed for the gradient, and is not run.
    assert body.count("for ") == 1


def test_bounds_checks_only_where_an_index_is_not_proven():
    rosenbrock = grad(lc.rosenbrock).derivative(np.ones(3))
    assert not rosenbrock.boundscheck
    assert "compiled without bounds checks" in rosenbrock.source
    # least_squares reads w[j] for j < X.shape[1]: nothing says w is that long.
    assert grad(lc.least_squares).derivative(np.ones(3), np.ones((5, 3)), np.ones(5)).boundscheck
    assert grad(lc.euler).derivative(1.0, 1.0, 3).boundscheck  # y[0] of np.zeros(n + 1)


def test_index_out_of_range_is_reported_at_the_users_line():
    g = grad(lc.least_squares)
    with pytest.raises(symdiff.SymDiffError) as info:
        g(np.ones(2), np.ones((5, 3)), np.ones(5))  # w is too short
    assert info.value.lineno == _line_of(lc.least_squares, "pred += X[i, j] * w[j]")


def _line_of(fn, text):
    import inspect

    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, line in enumerate(lines) if text in line)


def test_while_loop_records_its_iterations():
    source = symdiff.derivative_source(lc.newton_sqrt, 2.0)
    assert "x_tape = _tape_grow(x_tape, n_iter)" in source
    assert "for k in range(n_iter - 1, -1, -1):" in source


def test_array_writes_happen_in_place():
    source = symdiff.derivative_source(lc.euler, 1.2, 0.8, 5)
    assert "y[t + 1] = " in source  # the trajectory is written in place
    assert ".copy()" not in source
    assert "y_tape[t] = " in source  # the element each step reads is recorded
    assert "y_bar[t] +=" in source  # the reverse loop runs over the user's t


def test_write_into_an_array_still_needed_is_a_copy():
    source = symdiff.derivative_source(lc.straight_line_writes, 0.7)
    assert ".copy()" in source


def test_loop_carried_arrays_are_recorded():
    source = symdiff.derivative_source(lc.rnn, *CASES[14][1])
    assert "h_tape[t] = h" in source
    assert "= h_tape[t]" in source


@numba.njit
def _descend(step, w, X, y, rate, iterations):
    """Gradient descent written by a user in Numba, calling symdiff's gradient."""
    for _ in range(iterations):
        w = w - rate * step(w, X, y)
    return w


def test_gradient_called_from_user_njit_code():
    X = rng.normal(size=(50, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.01 * rng.normal(size=50)
    w0 = np.zeros(3)
    step = grad(lc.least_squares).specialize(w0, X, y)
    assert isinstance(step, numba.core.registry.CPUDispatcher)
    w = _descend(step, w0, X, y, 0.1, 500)
    np.testing.assert_allclose(w, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-8)


def test_while_loop_with_data_dependent_trip_count():
    g = grad(lc.newton_sqrt, jit=False)
    for a in (0.5, 2.0, 1e6):
        assert g(a) == pytest.approx(0.5 / math.sqrt(a), rel=1e-9)


def test_value_and_grad_of_a_sum_loop_is_one_pass():
    # the value loop and the (forwards-running) adjoint loop are fused: one pass over x,
    # the shared subexpressions computed once; the value is summed in the function's order
    source = symdiff.derivative_source(lc.rosenbrock, np.ones(3), kind="value_and_grad")
    body = source[source.index("def rosenbrock_value_and_grad") :]
    assert body.count("for ") == 1 and body.count("x[t0] - t1 ** 2") == 1
    x = np.random.default_rng(4).uniform(-2.0, 2.0, 1001)
    value, gradient = symdiff.value_and_grad(lc.rosenbrock, jit=False)(x)
    assert value == lc.rosenbrock(x)  # bit for bit
    np.testing.assert_allclose(gradient, _rosenbrock_gradient(x), rtol=1e-12, atol=1e-9)


def test_a_loop_whose_adjoint_is_carried_still_runs_backwards():
    # s = s * x[i]: the adjoint of s is carried from one iteration to the one before
    def product(x):
        s = 1.0
        for i in range(x.shape[0]):
            s = s * x[i]
        return s

    source = symdiff.derivative_source(product, np.ones(3))
    assert ", -1, -1)" in source
    x = np.array([0.5, -2.0, 3.0, 1.5])
    g = symdiff.grad(product, jit=False)(x)
    np.testing.assert_allclose(g, [np.prod(np.delete(x, k)) for k in range(4)], rtol=1e-14)


def test_a_recurrence_reads_its_next_state_back_instead_of_recomputing_it():
    # h = tanh(W @ h + U * x[t]): the state an iteration carries out is the next one's
    # recorded state (or, after the last, the final h): the reverse sweep reads it
    # back, and its only matrix products are the adjoint's (W.T @ ..., np.outer)
    rng = np.random.default_rng(5)
    W, U, h0, xs = (
        rng.normal(size=(4, 4)) / 2,
        rng.normal(size=4),
        rng.normal(size=4),
        rng.normal(size=6),
    )
    source = symdiff.derivative_source(lc.rnn, W, U, h0, xs, argnums=(0, 1, 2))
    backward = source[source.index("for t in range(t0 - 1, -1, -1):") :]
    assert "np.tanh" not in backward and backward.count(" @ ") == 1
    assert "= h_tape[t2]" in backward
    grads = symdiff.grad(lc.rnn, argnums=(0, 1, 2), jit=False)(W, U, h0, xs)
    for k, g in enumerate(grads):
        args = [W, U, h0, xs]
        expected = np.zeros_like(args[k])
        for element in np.ndindex(args[k].shape):
            expected[element] = finite_difference(lc.rnn, args, k, element=element)
        np.testing.assert_allclose(g, expected, rtol=1e-7, atol=1e-9)
