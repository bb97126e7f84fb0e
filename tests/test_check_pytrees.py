"""``check_grad`` on the language symdiff takes: pytree arguments (finite
differences leaf by leaf), static arguments (functions, strings, None),
globals read at call time, and functions that draw random numbers (every
evaluation with the same draws; the check consumes nothing)."""

import numpy as np
import pytest

from symdiff.verify import check_grad, float_argnums

from . import check_pytree_cases as cases

W = np.array([0.3, -0.6])
PARAMS = ((np.array([[0.1, 0.2], [0.3, -0.4]]), np.array([0.1, -0.2])), 1.5)
LAYER = cases.Layer(np.array([[0.2, -0.1], [0.4, 0.3]]), np.array([0.05, 0.1]))

# (function, arguments, argnums, the labels of the first and last rows)
ROWS = [
    (cases.layers, (PARAMS, cases.DATA), None, ("params[0][0][0,0]", "x[1,1]")),
    (
        cases.layers,
        (PARAMS, cases.DATA, np.sin, "sum", None),
        0,
        ("params[0][0][0,0]", "params[1]"),
    ),
    (
        cases.layers,
        (PARAMS, cases.DATA, np.tanh, "mse", 2.0),
        (0, 4),
        ("params[0][0][0,0]", "scale"),
    ),
    (cases.in_a_dict, ({"a": 2.0, "b": np.array([1.0, 2.0])},), None, ("p['a']", "p['b'][1]")),
    (cases.an_object, (LAYER, cases.DATA), 0, ("layer.W[0,0]", "layer.b[1]")),
    (cases.reads_a_global, (W,), None, ("w[0]", "w[1]")),
]


@pytest.mark.parametrize("jit", (False, True))
@pytest.mark.parametrize("fn, args, argnums, labels", ROWS)
def test_check_grad_takes_the_language(fn, args, argnums, labels, jit):
    if jit and fn is not cases.layers:
        pytest.skip("a small Numba subset")
    report = check_grad(fn, *args, argnums=argnums, jit=jit)
    assert report.ok, str(report)
    assert (report.rows[0].name, report.rows[-1].name) == labels
    assert all(row.finite_diff is not None for row in report.rows)
    if fn is not cases.an_object:  # SymPy takes the leaves too
        assert all(row.sympy is not None for row in report.rows)


def test_containers_of_floats_are_differentiated_by_default():
    assert float_argnums((PARAMS, cases.DATA, np.tanh, "mse", None, 3)) == (0, 1)


DRAWING = [
    (cases.noisy, lambda: (W, np.random.RandomState(3))),
    (cases.noisy_global, lambda: (W,)),
    (cases.noisy_loop, lambda: (W, 3, np.random.default_rng(3))),
]


@pytest.mark.parametrize("jit", (False, True))
@pytest.mark.parametrize("fn, make", DRAWING, ids=lambda v: getattr(v, "__name__", ""))
def test_finite_differences_use_the_same_draws(fn, make, jit):
    if jit and fn is not cases.noisy_loop:
        pytest.skip("a small Numba subset")
    cases.RS.seed(5)
    np.random.seed(5)
    args = make()
    generators = [a for a in args if isinstance(a, (np.random.RandomState, np.random.Generator))]
    before = [_state_text(g) for g in [*generators, cases.RS, np.random.mtrand._rand]]
    report = check_grad(fn, *args, jit=jit)
    assert report.ok, str(report)
    assert any("the same draws" in note for note in report.notes)
    after = [_state_text(g) for g in [*generators, cases.RS, np.random.mtrand._rand]]
    assert before == after  # checking consumes nothing


def _state_text(generator):
    if isinstance(generator, np.random.RandomState):
        return repr(generator.get_state()[1][:4]) + repr(generator.get_state()[2])
    return repr(generator.bit_generator.state)


def test_symdiff_check_takes_literals_and_defaults(capsys):
    from symdiff import cli

    target = f"{cases.__file__}:layers"
    at = ["--at", "params=(([[0.1, 0.2], [0.3, -0.4]], [0.1, -0.2]), 1.5)"]
    at += ["--at", "x=[[0.5, -1.0], [2.0, 0.3]]", "--at", "loss='mse'"]
    assert cli.main(["check", target, *at]) == 0  # act and scale: their defaults
    out = capsys.readouterr().out
    assert "params[0][0][1,1]" in out and "x[1,1]" in out and "OK" in out
    assert cli.main(["check", target, "--at", "x=[1.0"]) == 2
    assert (
        "is not a number, a comma-separated list of numbers, a .npy file" in capsys.readouterr().err
    )
